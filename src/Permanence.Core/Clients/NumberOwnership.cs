using NodaTime;
using Permanence.Core.Configuration;

namespace Permanence.Core.Clients;

/// <summary>[From, Until) during which a client owns a number; <see cref="Until"/> null = open-ended.</summary>
public readonly record struct OwnershipInterval(Instant From, Instant? Until)
{
    public bool Contains(Instant instant) => From <= instant && (Until is null || instant < Until);

    public bool Overlaps(OwnershipInterval other) =>
        (Until is null || other.From < Until) && (other.Until is null || From < other.Until);
}

/// <summary>
/// Who owns a number when (README, "Numbers over time"): a number belongs to the client whose version in force at
/// that moment lists it. A later version that drops it frees it from that version's start.
/// </summary>
public static class NumberOwnership
{
    /// <summary>For each number ever listed, the intervals during which the versions in force list it.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<OwnershipInterval>> IntervalsByNumber(IReadOnlyList<ContractVersion> versionsInForceOrder)
    {
        var result = new Dictionary<string, List<OwnershipInterval>>(StringComparer.Ordinal);
        for (var i = 0; i < versionsInForceOrder.Count; i++)
        {
            var from = versionsInForceOrder[i].StartsAt;
            Instant? until = i + 1 < versionsInForceOrder.Count ? versionsInForceOrder[i + 1].StartsAt : null;
            if (until <= from)
            {
                continue; // superseded before it ever came into force
            }
            foreach (var number in versionsInForceOrder[i].Numbers)
            {
                if (!result.TryGetValue(number, out var intervals))
                {
                    intervals = [];
                    result[number] = intervals;
                }
                if (intervals.Count > 0 && intervals[^1].Until == from)
                {
                    intervals[^1] = intervals[^1] with { Until = until }; // listed by consecutive versions: one interval
                }
                else
                {
                    intervals.Add(new OwnershipInterval(from, until));
                }
            }
        }
        return result.ToDictionary(p => p.Key, p => (IReadOnlyList<OwnershipInterval>)p.Value, StringComparer.Ordinal);
    }

    public static IReadOnlyDictionary<string, IReadOnlyList<OwnershipInterval>> IntervalsByNumber(ContractHistory history) =>
        history.NumberIntervals;

    public static bool Overlap(IEnumerable<OwnershipInterval> a, IEnumerable<OwnershipInterval> b) =>
        a.Any(x => b.Any(x.Overlaps));

    /// <summary>Serialized as "from/until;…" with ISO instants (until empty when open-ended).</summary>
    public static string Format(IEnumerable<OwnershipInterval> intervals) =>
        string.Join(';', intervals.Select(i => $"{NodaTime.Text.InstantPattern.ExtendedIso.Format(i.From)}/{(i.Until is { } u ? NodaTime.Text.InstantPattern.ExtendedIso.Format(u) : "")}"));

    public static IReadOnlyList<OwnershipInterval> Parse(string? text)
    {
        var result = new List<OwnershipInterval>();
        foreach (var part in (text ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('/');
            var from = NodaTime.Text.InstantPattern.ExtendedIso.Parse(bounds[0]).GetValueOrThrow();
            Instant? until = bounds.Length > 1 && bounds[1].Length > 0 ? NodaTime.Text.InstantPattern.ExtendedIso.Parse(bounds[1]).GetValueOrThrow() : null;
            result.Add(new OwnershipInterval(from, until));
        }
        return result;
    }
}
