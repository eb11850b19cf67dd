using NodaTime;

namespace Permanence.Core.Calls;

public static class CallOutcomes
{
    public const string Answered = "answered";
    public const string Abandoned = "abandoned";
    public const string Missed = "missed";
    public const string Voicemail = "voicemail";
    public const string Busy = "busy";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Answered, Abandoned, Missed, Voicemail, Busy, Failed];

    /// <summary>
    /// When events of one call report different outcomes, the most specific wins whatever their order:
    /// a voicemail says more than "abandoned", which says more than "missed", and so on.
    /// </summary>
    public static int Rank(string? outcome) => outcome switch
    {
        Failed => 1,
        Busy => 2,
        Missed => 3,
        Abandoned => 4,
        Voicemail => 5,
        Answered => 6,
        _ => 0,
    };
}

public static class CallDirections
{
    public const string Inbound = "inbound";
    public const string Outbound = "outbound";
}

/// <summary>What one provider event tells about a call, already normalised (README, "Calls").</summary>
public sealed record CallObservation
{
    public required string Provider { get; init; }
    public required string CallId { get; init; }
    public string? Direction { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public Instant? StartedAt { get; init; }
    public Instant? AnsweredAt { get; init; }
    public Instant? EndedAt { get; init; }
    public string? Outcome { get; init; }
    public string? AgentId { get; init; }
    public string? ClientId { get; init; }

    /// <summary>When the provider emitted the event; orders agent changes (transfers).</summary>
    public Instant? ObservedAt { get; init; }
}

/// <summary>
/// The merged record of one call. <see cref="Merge"/> is a join: commutative, associative and idempotent, so
/// events merged in any order, any number of times, give the same record; and timestamps only move the right
/// way (start and answer only earlier, end only later).
/// </summary>
public sealed record CallRecord
{
    public required string Provider { get; init; }
    public required string CallId { get; init; }
    public string? Direction { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public Instant? StartedAt { get; init; }
    public Instant? AnsweredAt { get; init; }
    public Instant? EndedAt { get; init; }
    public string? ReportedOutcome { get; init; }
    public string? AgentId { get; init; }
    public Instant? AgentObservedAt { get; init; }
    public string? ClientId { get; init; }

    /// <summary>answered when answered; else the most specific reported outcome; else missed once ended.</summary>
    public string? Outcome => AnsweredAt is not null
        ? CallOutcomes.Answered
        : ReportedOutcome is { } reported && reported != CallOutcomes.Answered
            ? reported
            : EndedAt is not null ? CallOutcomes.Missed : ReportedOutcome;

    public string Key => $"{Provider}:{CallId}";

    public static CallRecord Merge(CallRecord? record, CallObservation observation)
    {
        // An agent change is ordered by when the provider saw it, else by the event's own times (never a sentinel).
        Instant? agentAt = observation.AgentId is null
            ? null
            : observation.ObservedAt ?? observation.EndedAt ?? observation.AnsweredAt ?? observation.StartedAt;
        var incoming = new CallRecord
        {
            Provider = observation.Provider,
            CallId = observation.CallId,
            Direction = observation.Direction,
            From = observation.From,
            To = observation.To,
            StartedAt = observation.StartedAt,
            AnsweredAt = observation.AnsweredAt,
            EndedAt = observation.EndedAt,
            ReportedOutcome = observation.Outcome,
            AgentId = observation.AgentId,
            AgentObservedAt = agentAt,
            ClientId = observation.ClientId,
        };
        return record is null ? incoming : Join(record, incoming);
    }

    private static CallRecord Join(CallRecord a, CallRecord b)
    {
        var (agent, agentAt) = LatestAgent(a, b);
        return a with
        {
            Direction = Smallest(a.Direction, b.Direction),
            From = Smallest(a.From, b.From),
            To = Smallest(a.To, b.To),
            StartedAt = Earliest(a.StartedAt, b.StartedAt),
            AnsweredAt = Earliest(a.AnsweredAt, b.AnsweredAt),
            EndedAt = Latest(a.EndedAt, b.EndedAt),
            ReportedOutcome = CallOutcomes.Rank(b.ReportedOutcome) > CallOutcomes.Rank(a.ReportedOutcome) ? b.ReportedOutcome : a.ReportedOutcome,
            AgentId = agent,
            AgentObservedAt = agentAt,
            // A call's client, once set, never changes (events naming another client are refused before merging).
            ClientId = a.ClientId ?? b.ClientId,
        };
    }

    // Values that should agree across events; if a provider ever contradicts itself, pick one deterministically.
    private static string? Smallest(string? x, string? y) =>
        x is null ? y : y is null ? x : string.CompareOrdinal(x, y) <= 0 ? x : y;

    private static Instant? Earliest(Instant? x, Instant? y) => x is null ? y : y is null ? x : x < y ? x : y;

    private static Instant? Latest(Instant? x, Instant? y) => x is null ? y : y is null ? x : x > y ? x : y;

    private static (string?, Instant?) LatestAgent(CallRecord a, CallRecord b)
    {
        if (a.AgentId is null)
        {
            return (b.AgentId, b.AgentObservedAt);
        }
        if (b.AgentId is null)
        {
            return (a.AgentId, a.AgentObservedAt);
        }
        var order = Nullable.Compare(a.AgentObservedAt, b.AgentObservedAt);
        if (order == 0)
        {
            order = -string.CompareOrdinal(a.AgentId, b.AgentId);
        }
        return order >= 0 ? (a.AgentId, a.AgentObservedAt) : (b.AgentId, b.AgentObservedAt);
    }
}
