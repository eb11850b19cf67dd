using System.Text.Json.Serialization;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;

namespace Permanence.Http;

// The response bodies of the HTTP API (docs/openapi.json is generated from these): named records, so the
// document has schemas and a field cannot change without the type changing.

/// <summary>GET /health (readiness).</summary>
public sealed record HealthResponse(string Status, string Storage);

/// <summary>GET /health/live.</summary>
public sealed record LivenessResponse(string Status);

/// <summary>PUT /clients/{clientId}: the version the document became (or already was).</summary>
public sealed record ClientSavedResponse(string ClientId, int Version, string EffectiveFrom);

/// <summary>One version of a client's configuration in its history.</summary>
public sealed record ClientVersionResponse(int Version, string EffectiveFrom, DateTimeOffset? StoredAt, bool InForce);

/// <summary>GET /clients/{clientId}: the version in force now (webhook secrets masked) and the history.</summary>
public sealed record ClientResponse(
    string ClientId,
    int Version,
    string EffectiveFrom,
    bool InForce,
    ClientConfiguration Configuration,
    IReadOnlyList<ClientVersionResponse> Versions);

/// <summary>A merged call record, with its client (null when unmatched) and the band of its start.</summary>
public sealed record CallRecordResponse(
    string Provider,
    string CallId,
    string? Direction,
    string? From,
    string? To,
    string? StartedAt,
    string? AnsweredAt,
    string? EndedAt,
    string? Outcome,
    string? AgentId,
    string? ClientId,
    bool Matched,
    string? Band);

/// <summary>One item of a POST /calls array: its status, and either the stored call or the field problems.</summary>
public sealed record CallBatchItemResponse(
    int Index,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Provider = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CallId = null,
    string? ClientId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IDictionary<string, string[]>? Errors = null);

/// <summary>POST /calls with an array (207): one result per item, in order.</summary>
public sealed record CallBatchResponse(IReadOnlyList<CallBatchItemResponse> Results);

/// <summary>A provider webhook event accepted and archived but not about a call.</summary>
public sealed record WebhookIgnoredResponse(bool Ignored, string Reason);

public sealed record QualificationResponse(bool Complete, IReadOnlyList<string> Missing, IReadOnlyList<string> Invalid)
{
    public static QualificationResponse From(Qualification qualification) =>
        new(qualification.Complete, qualification.Missing, qualification.Invalid);
}

/// <summary>POST /messages (202).</summary>
public sealed record MessageAcceptedResponse(string Id, string Priority, QualificationResponse Qualification);

/// <summary>GET /messages/{id}.</summary>
public sealed record MessageResponse(
    string Id,
    string ClientId,
    string? CallId,
    string Scenario,
    CallerInput? Caller,
    IReadOnlyDictionary<string, string?> Fields,
    string? Text,
    string? OperatorId,
    string TakenAt,
    string ReceivedAt,
    string Priority,
    QualificationResponse Qualification,
    int ConfigurationVersion,
    string Routing,
    IReadOnlyList<DeliveryResponse> Deliveries,
    IReadOnlyList<AcknowledgementResponse> Acknowledgements,
    IReadOnlyList<EscalationStepResponse> Escalation);

/// <summary>One attempt to reach one contact on one channel (step 99 is the fallback email to the agency).</summary>
public sealed record DeliveryResponse(
    int Step,
    string Contact,
    string Channel,
    string? Target,
    int Attempt,
    string Status,
    string? ProviderId,
    string? Error,
    string CreatedAt,
    string? SentAt,
    string? RetryAt);

/// <summary>A contact's acknowledgement (channel "link" or "sms"); also the answer of POST /acks/{token} to API clients.</summary>
public sealed record AcknowledgementResponse(string MessageId, string Contact, string Channel, string At);

/// <summary>A step of the escalation: ran (contacts notified), skipped (nobody on call), cancelled (acknowledged before).</summary>
public sealed record EscalationStepResponse(int Step, string Status, string StartedAt, IReadOnlyList<string> Contacts, string? Reason);

/// <summary>The fields of a Twilio Voice status callback the API reads (Twilio sends more; all are signed).</summary>
public sealed record TwilioStatusCallbackForm(
    [property: JsonPropertyName("CallSid")] string CallSid,
    [property: JsonPropertyName("CallStatus")] string CallStatus,
    [property: JsonPropertyName("Direction")] string? Direction,
    [property: JsonPropertyName("From")] string? From,
    [property: JsonPropertyName("To")] string? To,
    [property: JsonPropertyName("Timestamp")] string? Timestamp);

/// <summary>The fields of a Twilio inbound SMS the API reads (Twilio sends more; all are signed).</summary>
public sealed record TwilioInboundSmsForm(
    [property: JsonPropertyName("MessageSid")] string? MessageSid,
    [property: JsonPropertyName("From")] string From,
    [property: JsonPropertyName("To")] string? To,
    [property: JsonPropertyName("Body")] string? Body);

/// <summary>The parts of an Aircall webhook the API reads.</summary>
public sealed record AircallWebhookBody(
    string Token,
    string Resource,
    string Event,
    long? Timestamp,
    AircallCallData? Data);

public sealed record AircallCallData(
    long Id,
    string? Direction,
    [property: JsonPropertyName("started_at")] long? StartedAt,
    [property: JsonPropertyName("answered_at")] long? AnsweredAt,
    [property: JsonPropertyName("ended_at")] long? EndedAt,
    [property: JsonPropertyName("raw_digits")] string? RawDigits,
    AircallNumber? Number,
    AircallUser? User,
    [property: JsonPropertyName("missed_call_reason")] string? MissedCallReason,
    string? Voicemail);

public sealed record AircallNumber(string? Digits);

public sealed record AircallUser(long Id);

/// <summary>A stored file with a read-only download link expiring within 15 minutes.</summary>
public sealed record DownloadFileResponse(string Name, long Bytes, string Url, DateTimeOffset ExpiresAt)
{
    public static DownloadFileResponse From(Core.Common.DownloadLink link) => new(link.Name, link.Bytes, link.Url.AbsoluteUri, link.ExpiresAt);
}

/// <summary>GET /clients/{clientId}/reports/{period}: one month's report files; <c>final</c> is false for a month to date.</summary>
public sealed record ReportResponse(string ClientId, string Period, bool Final, IReadOnlyList<DownloadFileResponse> Files);

/// <summary>GET /clients/{clientId}/reports: every month's report, oldest first.</summary>
public sealed record ReportListResponse(string ClientId, IReadOnlyList<ReportResponse> Reports);

/// <summary>
/// POST /admin/jobs/sla-report: what the run did (<c>written</c>, <c>writtenMonthToDate</c>, or
/// <c>alreadyFinal</c> when a closed month's report existed and nothing was rewritten), and the report's files.
/// </summary>
public sealed record SlaReportJobResponse(string ClientId, string Period, string Outcome, bool Final, IReadOnlyList<DownloadFileResponse> Files);

/// <summary>POST /admin/jobs/rebuild-indexes: how many call and message entries were rewritten.</summary>
public sealed record IndexRebuildResponse(string ClientId, int Calls, int Messages);

/// <summary>
/// GET /clients/{clientId}/exports/{period}: the export's manifest (as written, with every file's rows, bytes and
/// SHA-256) and a read-only download link per file, manifest.json included.
/// </summary>
public sealed record ExportResponse(string ClientId, string Period, bool Final, System.Text.Json.Nodes.JsonNode Manifest, IReadOnlyList<DownloadFileResponse> Files);

/// <summary>One month's complete export in a listing, with the link to its manifest.</summary>
public sealed record ExportListItem(string Period, DownloadFileResponse Manifest);

/// <summary>GET /clients/{clientId}/exports: every complete export, oldest first.</summary>
public sealed record ExportListResponse(string ClientId, IReadOnlyList<ExportListItem> Exports);

/// <summary>POST /admin/jobs/export: <c>written</c>, or <c>alreadyComplete</c> when nothing was rewritten.</summary>
public sealed record ExportJobResponse(string ClientId, string Period, string Outcome);

/// <summary>How far the preparation of an offboarding got: exports of closed months made or found, of how many (the month in progress included).</summary>
public sealed record OffboardingProgress(int MonthsDone, int MonthsTotal);

/// <summary>One export returned by an offboarding: its folder's files, each with a download link (manifest.json included).</summary>
public sealed record OffboardingExportResponse(string Period, bool Partial, string ManifestSha256, IReadOnlyList<DownloadFileResponse> Files);

/// <summary>
/// GET /admin/clients/{clientId}/offboard: <c>preparing</c> (with progress), <c>ready</c> (the top-level manifest's
/// SHA-256, which the confirmation quotes, and every file to download), <c>deleting</c>, or <c>closed</c> (the
/// deletion certificate).
/// </summary>
public sealed record OffboardingResponse(
    string ClientId,
    string Status,
    DateTimeOffset RequestedAt,
    OffboardingProgress Progress,
    string? ManifestSha256 = null,
    DownloadFileResponse? Manifest = null,
    IReadOnlyList<DownloadFileResponse>? Files = null,
    IReadOnlyList<OffboardingExportResponse>? Exports = null,
    DownloadFileResponse? Certificate = null);

/// <summary>POST /admin/clients/{clientId}/offboard/confirm: the SHA-256 of the offboarding's top-level manifest (64 hex digits).</summary>
public sealed record OffboardingConfirmRequest(string? ManifestSha256);

/// <summary>The confirmation's answer: the signed certificate as written, and a link to download it.</summary>
public sealed record DeletionCertificateResponse(string ClientId, string Status, System.Text.Json.Nodes.JsonNode Certificate, DownloadFileResponse Download);
