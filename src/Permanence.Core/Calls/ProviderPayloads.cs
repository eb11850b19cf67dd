using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Common;

namespace Permanence.Core.Calls;

public abstract record PayloadResult
{
    public sealed record Accepted(CallObservation Observation) : PayloadResult;

    /// <summary>A well-formed event this platform has no use for (another resource or event type).</summary>
    public sealed record Ignored(string Reason) : PayloadResult;

    public sealed record Invalid(ValidationErrors Errors) : PayloadResult;
}

/// <summary>Twilio Voice status callbacks (form fields) mapped onto a call observation, README, "Calls".</summary>
public static class TwilioVoicePayload
{
    public const string Provider = "twilio";

    public static PayloadResult Map(IReadOnlyDictionary<string, string> form, Instant receivedAt)
    {
        var errors = new ValidationErrors();
        form.TryGetValue("CallSid", out var callSid);
        form.TryGetValue("CallStatus", out var status);
        if (!Identifiers.IsValidExternalId(callSid))
        {
            errors.Add("CallSid", "is required: letters, digits, '.', '_', ':' or '-'");
        }
        if (string.IsNullOrEmpty(status))
        {
            errors.Add("CallStatus", "is required");
        }
        Instant at = receivedAt;
        if (form.TryGetValue("Timestamp", out var timestamp) && !string.IsNullOrEmpty(timestamp))
        {
            if (ParseTimestamp(timestamp) is not { } parsed)
            {
                errors.Add("Timestamp", "must be an RFC 1123 date such as 'Mon, 05 Oct 2026 07:31:10 +0000'");
            }
            else if (!Limits.IsInRange(parsed))
            {
                errors.Add("Timestamp", Limits.TimestampRangeMessage);
            }
            else
            {
                at = parsed;
            }
        }
        form.TryGetValue("From", out var from);
        form.TryGetValue("To", out var to);
        Limits.CheckShortText(from, Limits.MaxPhoneTextLength, "From", errors);
        Limits.CheckShortText(to, Limits.MaxPhoneTextLength, "To", errors);
        if (!errors.IsEmpty)
        {
            return new PayloadResult.Invalid(errors);
        }

        form.TryGetValue("Direction", out var direction);
        var observation = new CallObservation
        {
            Provider = Provider,
            CallId = callSid!,
            Direction = direction switch
            {
                "inbound" => CallDirections.Inbound,
                { } d when d.StartsWith("outbound", StringComparison.Ordinal) => CallDirections.Outbound,
                _ => null,
            },
            From = NullIfEmpty(from),
            To = NullIfEmpty(to),
            ObservedAt = at,
        };
        return status switch
        {
            "queued" or "initiated" or "ringing" => new PayloadResult.Accepted(observation with { StartedAt = at }),
            "in-progress" => new PayloadResult.Accepted(observation with { AnsweredAt = at }),
            "completed" => new PayloadResult.Accepted(observation with { EndedAt = at }),
            "no-answer" => new PayloadResult.Accepted(observation with { EndedAt = at, Outcome = CallOutcomes.Missed }),
            "busy" => new PayloadResult.Accepted(observation with { EndedAt = at, Outcome = CallOutcomes.Busy }),
            "failed" => new PayloadResult.Accepted(observation with { EndedAt = at, Outcome = CallOutcomes.Failed }),
            "canceled" => new PayloadResult.Accepted(observation with { EndedAt = at, Outcome = CallOutcomes.Abandoned }),
            _ => new PayloadResult.Ignored($"call status '{status}' is not used"),
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    // Twilio writes RFC 1123 dates with a numeric offset ("+0000"); "GMT" is the same instant in RFC 1123's own form.
    private static readonly OffsetDateTimePattern NumericOffset =
        OffsetDateTimePattern.CreateWithInvariantCulture("ddd, dd MMM uuuu HH:mm:ss o<+HHmm>");

    private static readonly LocalDateTimePattern Gmt = LocalDateTimePattern.CreateWithInvariantCulture("ddd, dd MMM uuuu HH:mm:ss 'GMT'");

    /// <summary>Strict RFC 1123 (the day name must match the date), or null; a year far out of range gives <see cref="Instant.MaxValue"/>.</summary>
    internal static Instant? ParseTimestamp(string value)
    {
        // The year is checked before converting: near the ends of the calendar an offset overflows the conversion.
        var offset = NumericOffset.Parse(value);
        if (offset.Success)
        {
            return offset.Value.Year is > 1900 and < 2200 ? offset.Value.ToInstant() : Instant.MaxValue;
        }
        var gmt = Gmt.Parse(value);
        return gmt.Success ? gmt.Value.InUtc().ToInstant() : null;
    }
}

/// <summary>Aircall call webhooks mapped onto a call observation, README, "Calls".</summary>
public static class AircallPayload
{
    public const string Provider = "aircall";

    private static readonly HashSet<string> AbandonReasons = new(StringComparer.Ordinal)
    {
        "short_abandoned", "abandoned_in_ivr", "abandoned_in_classic",
    };

    /// <summary>The token the webhook carries in its body (checked before anything else).</summary>
    public static string? Token(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("token", out var token) && token.ValueKind == JsonValueKind.String
            ? token.GetString()
            : null;

    /// <param name="receivedAt">When the webhook arrived: orders an agent change of an event that carries no time at all.</param>
    public static PayloadResult Map(JsonElement root, Instant receivedAt)
    {
        var errors = new ValidationErrors();
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "must be a JSON object");
            return new PayloadResult.Invalid(errors);
        }
        var resource = String(root, "resource");
        var eventName = String(root, "event");
        if (resource != "call")
        {
            return new PayloadResult.Ignored($"resource '{resource}' is not used");
        }
        if (eventName is null || !eventName.StartsWith("call.", StringComparison.Ordinal))
        {
            errors.Add("event", "is required for a call resource");
            return new PayloadResult.Invalid(errors);
        }
        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            errors.Add("data", "is required and must be an object");
            return new PayloadResult.Invalid(errors);
        }

        var id = data.TryGetProperty("id", out var idElement)
            ? idElement.ValueKind switch
            {
                JsonValueKind.Number => idElement.GetRawText(),
                JsonValueKind.String => idElement.GetString(),
                _ => null,
            }
            : null;
        if (!Identifiers.IsValidExternalId(id))
        {
            errors.Add("data.id", "is required: a number or a safe identifier");
        }
        var startedAt = UnixSeconds(data, "started_at", "data.started_at", errors);
        var answeredAt = UnixSeconds(data, "answered_at", "data.answered_at", errors);
        var endedAt = UnixSeconds(data, "ended_at", "data.ended_at", errors);
        var observedAt = UnixSeconds(root, "timestamp", "timestamp", errors);
        var direction = String(data, "direction");
        if (direction is not null and not CallDirections.Inbound and not CallDirections.Outbound)
        {
            errors.Add("data.direction", "must be inbound or outbound");
        }
        if (!errors.IsEmpty)
        {
            return new PayloadResult.Invalid(errors);
        }

        // number.digits is the Aircall line, raw_digits the other party.
        var line = data.TryGetProperty("number", out var number) && number.ValueKind == JsonValueKind.Object ? String(number, "digits") : null;
        var other = String(data, "raw_digits");
        Limits.CheckShortText(line, Limits.MaxPhoneTextLength, "data.number.digits", errors);
        Limits.CheckShortText(other, Limits.MaxPhoneTextLength, "data.raw_digits", errors);
        var agent = data.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.Object && user.TryGetProperty("id", out var userId)
            ? userId.ValueKind == JsonValueKind.Number ? userId.GetRawText() : userId.ValueKind == JsonValueKind.String ? userId.GetString() : null
            : null;
        if (agent is not null && !Identifiers.IsValidExternalId(agent))
        {
            errors.Add("data.user.id", "must be a number or a safe identifier");
        }
        if (!errors.IsEmpty)
        {
            return new PayloadResult.Invalid(errors);
        }

        string? outcome = null;
        if (eventName == "call.voicemail_left")
        {
            outcome = CallOutcomes.Voicemail;
        }
        else if (eventName == "call.ended" && answeredAt is null)
        {
            var reason = String(data, "missed_call_reason");
            outcome = reason is not null && AbandonReasons.Contains(reason)
                ? CallOutcomes.Abandoned
                : HasVoicemail(data) ? CallOutcomes.Voicemail : CallOutcomes.Missed;
        }

        return new PayloadResult.Accepted(new CallObservation
        {
            Provider = Provider,
            CallId = id!,
            Direction = direction,
            From = direction == CallDirections.Outbound ? line : other,
            To = direction == CallDirections.Outbound ? other : line,
            StartedAt = startedAt,
            AnsweredAt = answeredAt,
            EndedAt = endedAt,
            Outcome = outcome,
            AgentId = agent,
            // Without a top-level timestamp the event's own times order it; the arrival time as a last resort.
            ObservedAt = observedAt ?? endedAt ?? answeredAt ?? startedAt ?? receivedAt,
        });
    }

    private static bool HasVoicemail(JsonElement data) =>
        data.TryGetProperty("voicemail", out var voicemail) && voicemail.ValueKind == JsonValueKind.String && !string.IsNullOrEmpty(voicemail.GetString());

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Instant? UnixSeconds(JsonElement element, string name, string path, ValidationErrors errors)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var seconds))
        {
            if (seconds >= Limits.EarliestTimestamp.ToUnixTimeSeconds() && seconds < Limits.LatestTimestamp.ToUnixTimeSeconds())
            {
                return Instant.FromUnixTimeSeconds(seconds);
            }
            errors.Add(path, $"must be Unix seconds and {Limits.TimestampRangeMessage}");
            return null;
        }
        errors.Add(path, "must be Unix seconds");
        return null;
    }
}

/// <summary>The normalised call record of POST /calls (README, "Calls").</summary>
public sealed record CallRecordInput
{
    public string? Provider { get; init; }
    public string? CallId { get; init; }
    public string? ClientId { get; init; }
    public string? Direction { get; init; }
    public string? From { get; init; }
    public string? To { get; init; }
    public string? StartedAt { get; init; }
    public string? AnsweredAt { get; init; }
    public string? EndedAt { get; init; }
    public string? Outcome { get; init; }
    public string? AgentId { get; init; }

    public PayloadResult Map(string pathPrefix = "")
    {
        var errors = new ValidationErrors();
        if (!Identifiers.IsValidClientId(Provider))
        {
            errors.Add($"{pathPrefix}provider", "is required: lowercase letters, digits or hyphens");
        }
        if (!Identifiers.IsValidExternalId(CallId))
        {
            errors.Add($"{pathPrefix}callId", "is required: letters, digits, '.', '_', ':' or '-'");
        }
        if (ClientId is not null && !Identifiers.IsValidClientId(ClientId))
        {
            errors.Add($"{pathPrefix}clientId", "must be 1-64 lowercase letters, digits or inner hyphens");
        }
        if (Direction is not CallDirections.Inbound and not CallDirections.Outbound)
        {
            errors.Add($"{pathPrefix}direction", "must be inbound or outbound");
        }
        if (Outcome is not null && !CallOutcomes.All.Contains(Outcome))
        {
            errors.Add($"{pathPrefix}outcome", $"must be one of {string.Join(", ", CallOutcomes.All)}");
        }
        if (AgentId is not null && !Identifiers.IsValidExternalId(AgentId))
        {
            errors.Add($"{pathPrefix}agentId", "must be letters, digits, '.', '_', ':' or '-'");
        }
        Limits.CheckShortText(From, Limits.MaxPhoneTextLength, $"{pathPrefix}from", errors);
        Limits.CheckShortText(To, Limits.MaxPhoneTextLength, $"{pathPrefix}to", errors);
        var started = Timestamp(StartedAt, $"{pathPrefix}startedAt", errors, required: true);
        var answered = Timestamp(AnsweredAt, $"{pathPrefix}answeredAt", errors, required: false);
        var ended = Timestamp(EndedAt, $"{pathPrefix}endedAt", errors, required: false);
        if (started is not null && answered < started)
        {
            errors.Add($"{pathPrefix}answeredAt", "is before startedAt");
        }
        if (started is not null && ended < started)
        {
            errors.Add($"{pathPrefix}endedAt", "is before startedAt");
        }
        if (Outcome == CallOutcomes.Answered && AnsweredAt is null)
        {
            errors.Add($"{pathPrefix}answeredAt", "is required when the outcome is answered");
        }
        if (Outcome is not null and not CallOutcomes.Answered && AnsweredAt is not null)
        {
            errors.Add($"{pathPrefix}outcome", "must be answered when answeredAt is set");
        }
        if (string.IsNullOrWhiteSpace(Direction == CallDirections.Outbound ? From : To) && ClientId is null)
        {
            errors.Add($"{pathPrefix}{(Direction == CallDirections.Outbound ? "from" : "to")}", "is required to find the client, unless clientId is given");
        }
        if (!errors.IsEmpty)
        {
            return new PayloadResult.Invalid(errors);
        }
        return new PayloadResult.Accepted(new CallObservation
        {
            Provider = Provider!,
            CallId = CallId!,
            ClientId = ClientId,
            Direction = Direction,
            From = From,
            To = To,
            StartedAt = started,
            AnsweredAt = answered,
            EndedAt = ended,
            Outcome = Outcome,
            AgentId = AgentId,
            ObservedAt = ended ?? answered ?? started,
        });
    }

    private static Instant? Timestamp(string? value, string path, ValidationErrors errors, bool required)
    {
        if (value is null)
        {
            if (required)
            {
                errors.Add(path, "is required (ISO-8601 UTC, such as 2026-10-05T07:31:10Z)");
            }
            return null;
        }
        var parsed = InstantPattern.ExtendedIso.Parse(value);
        var offset = parsed.Success ? null : OffsetDateTimePattern.ExtendedIso.Parse(value);
        // The year is checked before converting: near the ends of the calendar an offset overflows the conversion.
        Instant? instant = parsed.Success ? parsed.Value
            : offset!.Success && offset.Value.Year is > 1900 and < 2200 ? offset.Value.ToInstant()
            : null;
        if (instant is null && offset is { Success: true })
        {
            errors.Add(path, Limits.TimestampRangeMessage);
            return null;
        }
        if (instant is null)
        {
            errors.Add(path, "must be an ISO-8601 timestamp with offset, such as 2026-10-05T07:31:10Z");
        }
        else if (!Limits.IsInRange(instant.Value))
        {
            errors.Add(path, Limits.TimestampRangeMessage);
            return null;
        }
        return instant;
    }
}
