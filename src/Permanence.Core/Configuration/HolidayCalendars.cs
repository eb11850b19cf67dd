using NodaTime;
using PublicHoliday;

namespace Permanence.Core.Configuration;

/// <summary>Public holidays by ISO country code, from the PublicHoliday library (Easter-based holidays included).</summary>
public static class HolidayCalendars
{
    private static readonly Dictionary<string, Func<IPublicHolidays>> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        ["FR"] = () => new FrancePublicHoliday(),
        ["BE"] = () => new BelgiumPublicHoliday(),
        ["LU"] = () => new LuxembourgPublicHoliday(),
        ["CH"] = () => new SwitzerlandPublicHoliday(),
        ["DE"] = () => new GermanPublicHoliday(),
        ["ES"] = () => new SpainPublicHoliday(),
        ["IT"] = () => new ItalyPublicHoliday(),
        ["PT"] = () => new PortugalPublicHoliday(),
        ["NL"] = () => new DutchPublicHoliday(),
        ["IE"] = () => new IrelandPublicHoliday(),
        ["CA"] = () => new CanadaPublicHoliday(),
        ["US"] = () => new USAPublicHoliday(),
    };

    public static IEnumerable<string> Codes => Known.Keys;

    /// <summary>Null or "none" means no public holidays; an unknown code returns false.</summary>
    public static bool TryGet(string? code, out Func<LocalDate, bool> isHoliday)
    {
        if (string.IsNullOrEmpty(code) || string.Equals(code, "none", StringComparison.OrdinalIgnoreCase))
        {
            isHoliday = static _ => false;
            return true;
        }
        if (!Known.TryGetValue(code, out var factory))
        {
            isHoliday = static _ => false;
            return false;
        }
        var calendar = factory();
        var cache = new Dictionary<int, HashSet<LocalDate>>();
        isHoliday = date =>
        {
            lock (cache)
            {
                if (!cache.TryGetValue(date.Year, out var days))
                {
                    days = calendar.PublicHolidays(date.Year).Select(LocalDate.FromDateTime).ToHashSet();
                    cache[date.Year] = days;
                }
                return days.Contains(date);
            }
        };
        return true;
    }
}
