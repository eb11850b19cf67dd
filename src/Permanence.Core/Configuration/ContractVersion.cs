using NodaTime;

namespace Permanence.Core.Configuration;

/// <summary>One validated version of a client's contract configuration, with its rules compiled.</summary>
public sealed record ContractVersion
{
    public required string ClientId { get; init; }
    public required int Version { get; init; }
    public required LocalDate EffectiveFrom { get; init; }
    public required ClientConfiguration Configuration { get; init; }
    public required DateTimeZone Zone { get; init; }
    public required ClientCalendar Calendar { get; init; }
    public required OnCallRota OnCall { get; init; }
    public required IReadOnlyList<string> Numbers { get; init; }
    public string? Region { get; init; }
    public Instant? StoredAt { get; init; }

    /// <summary>The instant this version comes into force: local midnight of <see cref="EffectiveFrom"/> in its zone.</summary>
    public Instant StartsAt => EffectiveFrom.AtStartOfDayInZone(Zone).ToInstant();
}

/// <summary>A client's versions; an event is judged by the version in force at its own instant (README, "Client configuration").</summary>
public sealed class ContractHistory
{
    public ContractHistory(IEnumerable<ContractVersion> versions)
    {
        Versions = versions.OrderBy(v => v.EffectiveFrom).ThenBy(v => v.Version).ToList();
        _numberIntervals = new(() => Clients.NumberOwnership.IntervalsByNumber(Versions));
    }

    private readonly Lazy<IReadOnlyDictionary<string, IReadOnlyList<Clients.OwnershipInterval>>> _numberIntervals;

    /// <summary>
    /// When each listed number is this client's, computed once per history: histories are cached and every call
    /// event asks who owned its number.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Clients.OwnershipInterval>> NumberIntervals => _numberIntervals.Value;

    public IReadOnlyList<ContractVersion> Versions { get; }

    public bool IsEmpty => Versions.Count == 0;

    public ContractVersion? Latest => Versions.Count == 0 ? null : Versions.MaxBy(v => v.Version);

    /// <summary>The version in force at <paramref name="instant"/>, or null before the first one.</summary>
    public ContractVersion? VersionAt(Instant instant)
    {
        ContractVersion? inForce = null;
        foreach (var version in Versions)
        {
            if (version.StartsAt <= instant)
            {
                inForce = version;
            }
        }
        return inForce;
    }

    /// <summary>
    /// The client's calendar month of an instant, in the zone of the version in force then (before the first
    /// version, the latest): the month whose report counts it.
    /// </summary>
    public YearMonth MonthOf(Instant instant) =>
        instant.InZone((VersionAt(instant) ?? Latest)?.Zone ?? DateTimeZone.Utc).Date.ToYearMonth();

    /// <summary>
    /// A calendar month of the client as instants [start, end), in the zone of the version in force at the month's
    /// end (docs/architecture.md, "SLA calculator"): a zone change mid-month does not split it.
    /// </summary>
    public (Instant Start, Instant End, ContractVersion Last) MonthBounds(YearMonth month)
    {
        var lastDay = month.OnDayOfMonth(month.Calendar.GetDaysInMonth(month.Year, month.Month));
        var last = Versions.LastOrDefault(v => v.EffectiveFrom <= lastDay)
            ?? Versions.FirstOrDefault()
            ?? throw new InvalidOperationException("No contract version.");
        return (month.OnDayOfMonth(1).AtStartOfDayInZone(last.Zone).ToInstant(),
            month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(last.Zone).ToInstant(),
            last);
    }

    /// <summary>The versions in force at some point of [start, end).</summary>
    public IEnumerable<ContractVersion> VersionsDuring(Instant start, Instant end)
    {
        for (var i = 0; i < Versions.Count; i++)
        {
            var from = Versions[i].StartsAt;
            var until = i + 1 < Versions.Count ? Versions[i + 1].StartsAt : Instant.MaxValue;
            if (from < end && until > start)
            {
                yield return Versions[i];
            }
        }
    }
}
