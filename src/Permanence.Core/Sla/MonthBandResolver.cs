using NodaTime;
using Permanence.Core.Configuration;

namespace Permanence.Core.Sla;

/// <summary>
/// Instants of [From, To) read as local date-times of one zone, in nanoseconds since local midnight of
/// <see cref="Origin"/>. A month holds at most a few offset intervals, looked up once, so each conversion is a
/// subtraction, a short scan and an add instead of <c>Instant.InZone</c> (docs/architecture.md, "SLA calculator").
/// </summary>
internal sealed class LocalClock
{
    private readonly Instant _from, _to;
    private readonly Instant _originAsUtc;
    private readonly long[] _ends, _offsets;

    public LocalClock(DateTimeZone zone, LocalDate origin, Instant from, Instant to)
    {
        Zone = zone;
        Origin = origin;
        _from = from;
        _to = to;
        _originAsUtc = origin.AtMidnight().InUtc().ToInstant();
        var intervals = zone.GetZoneIntervals(new Interval(from, to)).ToList();
        // Interval ends clamped to [from, to): outside it the clock is not used, and nanosecond counts stay small.
        _ends = intervals.Select(i => Nanos(i.HasEnd && i.End < to ? i.End : to)).ToArray();
        _offsets = intervals.Select(i => i.WallOffset.Nanoseconds).ToArray();
    }

    public DateTimeZone Zone { get; }
    public LocalDate Origin { get; }

    public bool Covers(Instant instant) => instant >= _from && instant < _to;

    /// <summary>For an instant that <see cref="Covers"/>: its local date-time, as nanoseconds since Origin's midnight.</summary>
    public long LocalNanos(Instant instant)
    {
        var utc = Nanos(instant);
        for (var i = 0; i < _ends.Length; i++)
        {
            if (utc < _ends[i])
            {
                return utc + _offsets[i];
            }
        }
        throw new ArgumentOutOfRangeException(nameof(instant), instant, "Outside the clock's range.");
    }

    private long Nanos(Instant instant) => (instant - _originAsUtc).ToInt64Nanoseconds();
}

/// <summary>
/// A calendar's band at any instant of a month, tabulated per local day: <see cref="ClientCalendar.BandAt(LocalDateTime)"/>
/// depends on the time of day only through comparisons with band edges, so it is evaluated once per stretch between
/// edges of each day (holidays, closures and the previous day's closure for bands passing midnight included), and a
/// call costs a zone conversion and a scan of a few stretches. Each band's value is made on its first use, in the
/// order calls and messages meet bands, as a per-call lookup would.
/// </summary>
internal sealed class MonthBandResolver<T>
    where T : class
{
    private readonly ClientCalendar _calendar;
    private readonly Func<string, T> _create;
    private readonly List<string> _names = [];
    private T?[] _values = [];
    private readonly int _days;
    private readonly int[] _firstStretch; // per day, index of its first stretch
    private readonly long[] _ends; // stretch end, nanoseconds of the day
    private readonly int[] _slots; // stretch band, index in _names

    public MonthBandResolver(ClientCalendar calendar, LocalClock clock, int days, Func<string, T> create)
    {
        _calendar = calendar;
        _create = create;
        _days = days;
        Clock = clock;
        var edges = calendar.Bands.SelectMany(b => new[] { b.Window.From.NanosecondOfDay, b.Window.To.NanosecondOfDay })
            .Append(0L).Distinct().Order().ToArray();
        var ends = new List<long>();
        var slots = new List<int>();
        _firstStretch = new int[days];
        for (var day = 0; day < days; day++)
        {
            var date = clock.Origin.PlusDays(day);
            _firstStretch[day] = ends.Count;
            for (var e = 0; e < edges.Length; e++)
            {
                var slot = Slot(calendar.BandAt(date + LocalTime.FromNanosecondsSinceMidnight(edges[e])));
                var end = e + 1 < edges.Length ? edges[e + 1] : NodaConstants.NanosecondsPerDay;
                if (ends.Count > _firstStretch[day] && slots[^1] == slot)
                {
                    ends[^1] = end;
                }
                else
                {
                    ends.Add(end);
                    slots.Add(slot);
                }
            }
        }
        _ends = [.. ends];
        _slots = [.. slots];
    }

    public LocalClock Clock { get; }

    public T At(Instant instant) => Clock.Covers(instant) ? AtLocal(Clock.LocalNanos(instant), instant) : Value(Slot(_calendar.BandAt(instant)));

    /// <summary>The band at <paramref name="instant"/>, whose local time <see cref="Clock"/> already gave.</summary>
    public T AtLocal(long localNanos, Instant instant)
    {
        var day = localNanos / NodaConstants.NanosecondsPerDay;
        if (localNanos < 0 || day >= _days)
        {
            return Value(Slot(_calendar.BandAt(instant)));
        }
        var nanoOfDay = localNanos - day * NodaConstants.NanosecondsPerDay;
        var i = _firstStretch[day];
        while (nanoOfDay >= _ends[i])
        {
            i++;
        }
        return Value(_slots[i]);
    }

    private T Value(int slot) => _values[slot] ??= _create(_names[slot]);

    private int Slot(string name)
    {
        var slot = _names.IndexOf(name);
        if (slot < 0)
        {
            slot = _names.Count;
            _names.Add(name);
            Array.Resize(ref _values, _names.Count);
        }
        return slot;
    }
}
