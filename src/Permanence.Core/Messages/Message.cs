using NodaTime;

namespace Permanence.Core.Messages;

/// <summary>POST /messages body (README, "Messages").</summary>
public sealed record MessageInput
{
    public string? ClientId { get; init; }
    public string? CallId { get; init; }
    public string? Scenario { get; init; }
    public CallerInput? Caller { get; init; }
    public Dictionary<string, string?>? Fields { get; init; }
    public string? Text { get; init; }
    public string? OperatorId { get; init; }
    public string? TakenAt { get; init; }
}

public sealed record CallerInput
{
    public string? Name { get; init; }
    public string? Phone { get; init; }
    public string? Email { get; init; }
}

public sealed record Qualification(bool Complete, IReadOnlyList<string> Missing, IReadOnlyList<string> Invalid);

public enum RoutingState
{
    /// <summary>Written; the routing command may not be on the queue yet (the sweeper looks after it).</summary>
    Pending,

    /// <summary>The routing command is on the queue.</summary>
    Enqueued,
}

/// <summary>A stored message: what the operator took, plus what the platform decided about it.</summary>
public sealed record Message
{
    public required string Id { get; init; }
    public required string ClientId { get; init; }
    public string? CallId { get; init; }
    public required string Scenario { get; init; }
    public CallerInput? Caller { get; init; }
    public Dictionary<string, string?> Fields { get; init; } = [];
    public string? Text { get; init; }
    public string? OperatorId { get; init; }
    public required Instant TakenAt { get; init; }
    public required Instant ReceivedAt { get; init; }
    public required Configuration.Priority Priority { get; init; }
    public required Qualification Qualification { get; init; }
    public required int ConfigurationVersion { get; init; }

    /// <summary>SHA-256 of the request body: an Idempotency-Key replayed with another body is refused.</summary>
    public required string RequestHash { get; init; }

    /// <summary>The API key that posted it (digest prefix, never the key).</summary>
    public required string SubmittedBy { get; init; }

    public RoutingState RoutingState { get; init; }
}
