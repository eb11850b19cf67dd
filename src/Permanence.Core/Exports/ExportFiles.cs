using System.Globalization;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Calls;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;

namespace Permanence.Core.Exports;

/// <summary>
/// The columns of each export file (README, "Reversibility exports"): every field of the stored records that the
/// client owns, timestamps ISO-8601 UTC, numbers as stored (E.164); nothing internal (request hashes, key ids,
/// merge bookkeeping).
/// </summary>
public static class ExportFiles
{
    public const string Calls = "calls.csv";
    public const string Messages = "messages.csv";
    public const string Deliveries = "deliveries.csv";
    public const string Acknowledgements = "acknowledgements.csv";
    public const string Configuration = "configuration.json";
    public const string SlaReport = "sla-report.json";
    public const string AccessLog = "access-log.csv";
    public const string ManifestFile = "manifest.json";

    public const int SchemaVersion = 1;

    public static readonly IReadOnlyList<string> CallColumns =
        ["provider", "callId", "direction", "from", "to", "startedAt", "answeredAt", "endedAt", "outcome", "reportedOutcome", "agentId"];

    public static readonly IReadOnlyList<string> MessageColumns =
        ["id", "callId", "scenario", "priority", "takenAt", "receivedAt", "callerName", "callerPhone", "callerEmail", "fields", "text",
         "operatorId", "complete", "missing", "invalid", "configurationVersion", "routingState"];

    /// <summary>Escalation steps and delivery attempts in one file: <c>record</c> says which a row is.</summary>
    public static readonly IReadOnlyList<string> DeliveryColumns =
        ["record", "messageId", "step", "status", "contacts", "reason", "contactId", "channel", "attempt", "target", "providerId", "error",
         "startedAt", "createdAt", "sentAt", "retryAt"];

    public static readonly IReadOnlyList<string> AcknowledgementColumns = ["messageId", "contactId", "channel", "at"];

    public static readonly IReadOnlyList<string> AccessLogColumns = ["at", "keyId", "role", "action", "period", "file"];

    public static string? Time(Instant? instant) => instant is { } value ? InstantPattern.ExtendedIso.Format(value) : null;

    public static string?[] CallRow(CallRecord call) =>
        [call.Provider, call.CallId, call.Direction, call.From, call.To, Time(call.StartedAt), Time(call.AnsweredAt), Time(call.EndedAt),
         call.Outcome, call.ReportedOutcome, call.AgentId];

    public static string?[] MessageRow(Message message) =>
    [
        message.Id, message.CallId, message.Scenario, message.Priority.ToWire(), Time(message.TakenAt), Time(message.ReceivedAt),
        message.Caller?.Name, message.Caller?.Phone, message.Caller?.Email,
        message.Fields.Count == 0 ? null : JsonSerializer.Serialize(message.Fields, Common.StorageJson.Options),
        message.Text, message.OperatorId, message.Qualification.Complete ? "true" : "false",
        string.Join(' ', message.Qualification.Missing), string.Join(' ', message.Qualification.Invalid),
        message.ConfigurationVersion.ToString(CultureInfo.InvariantCulture), message.RoutingState.ToString().ToLowerInvariant(),
    ];

    public static string?[] StepRow(StepRecord step) =>
        ["step", step.MessageId, step.Step.ToString(CultureInfo.InvariantCulture), step.Status, string.Join(' ', step.Contacts), step.Reason,
         null, null, null, null, null, null, Time(step.StartedAt), null, null, null];

    public static string?[] AttemptRow(DeliveryAttempt attempt) =>
        ["attempt", attempt.MessageId, attempt.Step.ToString(CultureInfo.InvariantCulture), attempt.Status, null, null,
         attempt.ContactId, attempt.Channel, attempt.Attempt.ToString(CultureInfo.InvariantCulture), attempt.Target, attempt.ProviderId, attempt.Error,
         null, Time(attempt.CreatedAt), Time(attempt.SentAt), Time(attempt.RetryAt)];

    public static string?[] AcknowledgementRow(Acknowledgement acknowledgement) =>
        [acknowledgement.MessageId, acknowledgement.ContactId, acknowledgement.Channel, Time(acknowledgement.At)];

    public static string?[] AccessRow(ExportAccess access) =>
        [Time(access.At), access.KeyId, access.Role, access.Action, access.Period, access.File];

    /// <summary>configuration.json: every version in force during the month, webhook secrets masked.</summary>
    public sealed record ConfigurationFile(string ClientId, string Period, IReadOnlyList<ConfigurationFileVersion> Versions);

    public sealed record ConfigurationFileVersion(int Version, string EffectiveFrom, string? StoredAt, ClientConfiguration Configuration);

    /// <summary>
    /// manifest.json, written last: its presence says the export is complete. <see cref="Partial"/> and
    /// <see cref="ClosedAt"/> only appear on the month in progress closed by an offboarding.
    /// </summary>
    public sealed record Manifest(string ClientId, string Period, string GeneratedAt, int SchemaVersion, bool Final, IReadOnlyList<ExportFileInfo> Files)
    {
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public bool? Partial { get; init; }

        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        public string? ClosedAt { get; init; }
    }
}
