using NodaTime;
using Permanence.Core.Calls;

namespace Permanence.Http.Endpoints;

internal static class CallJson
{
    public static object From(CallRecord record, string? band) => new
    {
        provider = record.Provider,
        callId = record.CallId,
        direction = record.Direction,
        from = record.From,
        to = record.To,
        startedAt = Format(record.StartedAt),
        answeredAt = Format(record.AnsweredAt),
        endedAt = Format(record.EndedAt),
        outcome = record.Outcome,
        agentId = record.AgentId,
        clientId = record.ClientId,
        matched = record.ClientId is not null,
        band,
    };

    public static string? Format(Instant? instant) => instant is { } value ? NodaTime.Text.InstantPattern.ExtendedIso.Format(value) : null;
}
