using NodaTime;

namespace Permanence.Core.Configuration;

public sealed record Band(string Name, WeeklyWindow Window);

public sealed record Closure(LocalDate From, LocalDate To, string? Label)
{
    public bool Contains(LocalDate date) => date >= From && date <= To;
}

/// <summary>
/// The band of any instant in the client's zone (README, "Client configuration"). Holidays and closures put the whole local day
/// in <see cref="OtherBand"/>, and with it the after-midnight part of a band that starts on such a day.
/// </summary>
public sealed class ClientCalendar(
    DateTimeZone zone,
    IReadOnlyList<Band> bands,
    string otherBand,
    Func<LocalDate, bool> isPublicHoliday,
    IReadOnlyList<Closure> closures)
{
    public DateTimeZone Zone { get; } = zone;
    public IReadOnlyList<Band> Bands { get; } = bands;
    public string OtherBand { get; } = otherBand;

    public bool IsClosedDay(LocalDate date) => isPublicHoliday(date) || closures.Any(c => c.Contains(date));

    public string BandAt(Instant instant) => BandAt(instant.InZone(Zone).LocalDateTime);

    /// <summary>The band of a local date-time of <see cref="Zone"/> (callers that already converted, or tabulate a day).</summary>
    public string BandAt(LocalDateTime local)
    {
        if (IsClosedDay(local.Date))
        {
            return OtherBand;
        }
        foreach (var band in Bands)
        {
            if (band.Window.OccurrenceStart(local) is { } start && !IsClosedDay(start))
            {
                return band.Name;
            }
        }
        return OtherBand;
    }
}

/// <summary>A dated on-call entry in local date-times, [From, To).</summary>
public sealed record OnCallSwap(string ContactId, LocalDateTime From, LocalDateTime To);

/// <summary>
/// The on-call rota: who is on call at an instant, in the client's zone. A dated override wins over the weekly
/// rota while it lasts (the latest-starting one when several cover the moment); holidays do not change the rota.
/// </summary>
public sealed class OnCallRota(DateTimeZone zone, IReadOnlyList<(string ContactId, WeeklyWindow Window)> entries, IReadOnlyList<OnCallSwap>? overrides = null)
{
    private readonly IReadOnlyList<OnCallSwap> _overrides = overrides ?? [];

    public bool IsEmpty => entries.Count == 0 && _overrides.Count == 0;

    public string? ContactAt(Instant instant)
    {
        var local = instant.InZone(zone).LocalDateTime;
        OnCallSwap? swap = null;
        foreach (var candidate in _overrides)
        {
            if (candidate.From <= local && local < candidate.To && (swap is null || candidate.From > swap.From))
            {
                swap = candidate;
            }
        }
        if (swap is not null)
        {
            return swap.ContactId;
        }
        foreach (var (contactId, window) in entries)
        {
            if (window.OccurrenceStart(local) is not null)
            {
                return contactId;
            }
        }
        return null;
    }
}
