using NodaTime;
using NodaTime.Text;

namespace Permanence.Core.Configuration;

/// <summary>
/// A recurring local-time window on some days of the week. When <c>To</c> is not after <c>From</c> the window
/// passes midnight and belongs to the day it starts on (18:30→08:30 on Monday covers Monday night to Tuesday 08:30).
/// </summary>
public sealed class WeeklyWindow
{
    private const int MinutesPerDay = 24 * 60;
    private readonly bool[] _days = new bool[8]; // indexed by IsoDayOfWeek (1..7)

    public WeeklyWindow(IEnumerable<IsoDayOfWeek> days, LocalTime from, LocalTime to)
    {
        foreach (var day in days)
        {
            _days[(int)day] = true;
        }
        From = from;
        To = to;
    }

    public LocalTime From { get; }
    public LocalTime To { get; }
    public bool PassesMidnight => To <= From;

    /// <summary>The local date on which the occurrence covering <paramref name="local"/> started, or null.</summary>
    public LocalDate? OccurrenceStart(LocalDateTime local)
    {
        var time = local.TimeOfDay;
        var date = local.Date;
        if (!PassesMidnight)
        {
            return _days[(int)date.DayOfWeek] && time >= From && time < To ? date : null;
        }
        if (_days[(int)date.DayOfWeek] && time >= From)
        {
            return date;
        }
        var previous = date.PlusDays(-1);
        return _days[(int)previous.DayOfWeek] && time < To ? previous : null;
    }

    /// <summary>Minutes of the week (Monday 00:00 = 0) this window covers, midnight wrap included.</summary>
    public IEnumerable<int> WeekMinutes()
    {
        var from = (int)(From.TickOfDay / NodaConstants.TicksPerMinute);
        var to = (int)(To.TickOfDay / NodaConstants.TicksPerMinute);
        var length = PassesMidnight ? MinutesPerDay - from + to : to - from;
        for (var day = 1; day <= 7; day++)
        {
            if (!_days[day])
            {
                continue;
            }
            var start = (day - 1) * MinutesPerDay + from;
            for (var m = 0; m < length; m++)
            {
                yield return (start + m) % (7 * MinutesPerDay);
            }
        }
    }

    private static readonly LocalTimePattern TimePattern = LocalTimePattern.CreateWithInvariantCulture("HH':'mm");

    /// <summary>Parses "HH:mm"; "24:00" is accepted as the end of the day (midnight).</summary>
    public static bool TryParseTime(string? value, out LocalTime time)
    {
        time = LocalTime.Midnight;
        if (value == "24:00")
        {
            return true;
        }
        var result = TimePattern.Parse(value ?? "");
        if (!result.Success)
        {
            return false;
        }
        time = result.Value;
        return true;
    }

    public static bool TryParseDay(string? value, out IsoDayOfWeek day)
    {
        day = value switch
        {
            "Mon" => IsoDayOfWeek.Monday,
            "Tue" => IsoDayOfWeek.Tuesday,
            "Wed" => IsoDayOfWeek.Wednesday,
            "Thu" => IsoDayOfWeek.Thursday,
            "Fri" => IsoDayOfWeek.Friday,
            "Sat" => IsoDayOfWeek.Saturday,
            "Sun" => IsoDayOfWeek.Sunday,
            _ => IsoDayOfWeek.None,
        };
        return day != IsoDayOfWeek.None;
    }
}
