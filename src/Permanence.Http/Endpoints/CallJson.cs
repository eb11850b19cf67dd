using NodaTime;
using Permanence.Core.Calls;

namespace Permanence.Http.Endpoints;

internal static class CallJson
{
    public static CallRecordResponse From(CallRecord record, string? band) => new(
        record.Provider,
        record.CallId,
        record.Direction,
        record.From,
        record.To,
        Format(record.StartedAt),
        Format(record.AnsweredAt),
        Format(record.EndedAt),
        record.Outcome,
        record.AgentId,
        record.ClientId,
        record.ClientId is not null,
        band);

    public static string? Format(Instant? instant) => instant is { } value ? NodaTime.Text.InstantPattern.ExtendedIso.Format(value) : null;
}
