using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Permanence.Http.Endpoints;

namespace Permanence.Http;

public static class PermanenceEndpointRouteBuilderExtensions
{
    /// <summary>
    /// The HTTP API (README, "HTTP API") with what docs/openapi.json says of each route: name, summary, tag,
    /// authentication and every status the handler can answer. The Functions host declares the same routes as
    /// triggers; a test holds the two to the same set and to this document.
    /// </summary>
    public static IEndpointRouteBuilder MapPermanenceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/health", (HttpRequest r, HealthEndpoints e) => e.GetAsync(r))
            .Describe("GetHealth", "Health", "Readiness: whether storage answers (200) or not (503); no authentication.")
            .Produces<HealthResponse>(StatusCodes.Status200OK)
            .Produces<HealthResponse>(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/health/live", (HttpRequest r, HealthEndpoints e) => e.GetLiveAsync(r))
            .Describe("GetLiveness", "Health", "Liveness: 200 while the process serves requests; asks no dependency (readiness is /health).")
            .Produces<LivenessResponse>(StatusCodes.Status200OK);

        api.MapPut("/clients/{clientId}", (HttpRequest r, string clientId, ClientEndpoints e) => e.PutAsync(r, clientId))
            .Describe("PutClient", "Clients", "Creates (201) or versions (200) a client's contract configuration; 422 lists every problem.")
            .RequiresApiKey("admin")
            .WithRequestBody<Core.Configuration.ClientConfiguration>("application/json")
            .Produces<ClientSavedResponse>(StatusCodes.Status200OK)
            .Produces<ClientSavedResponse>(StatusCodes.Status201Created)
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/clients/{clientId}", (HttpRequest r, string clientId, ClientEndpoints e) => e.GetAsync(r, clientId))
            .Describe("GetClient", "Clients", "The configuration version in force now, with the version history (webhook secrets masked).")
            .RequiresApiKey("admin")
            .Produces<ClientResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/telephony/twilio", (HttpRequest r, TelephonyEndpoints e) => e.TwilioAsync(r))
            .Describe("PostTwilioStatusCallback", "Telephony", "Twilio Voice status callback (form-encoded), signed with X-Twilio-Signature over PublicBaseUrl + path + query.")
            .WithRequestBody<TwilioStatusCallbackForm>("application/x-www-form-urlencoded")
            .Produces<CallRecordResponse>(StatusCodes.Status200OK)
            .Produces<CallRecordResponse>(StatusCodes.Status202Accepted)
            .ProducesWebhookProblems();

        api.MapPost("/telephony/aircall", (HttpRequest r, TelephonyEndpoints e) => e.AircallAsync(r))
            .Describe("PostAircallWebhook", "Telephony", "Aircall call webhook; the token in the body authenticates it. Other resources are archived and ignored.")
            .WithRequestBody<AircallWebhookBody>("application/json")
            .Produces<CallRecordResponse>(StatusCodes.Status200OK)
            .Produces<CallRecordResponse>(StatusCodes.Status202Accepted)
            .ProducesWebhookProblems();

        api.MapPost("/calls", (HttpRequest r, CallEndpoints e) => e.PostAsync(r))
            .Describe("PostCalls", "Calls", "A normalised call record (200 matched, 202 unmatched), or an array of 1 to 1,000 (207, one result per item).")
            .RequiresApiKey("operator", "admin")
            .WithRequestBody<Core.Calls.CallRecordInput>("application/json")
            .Produces<CallRecordResponse>(StatusCodes.Status200OK)
            .Produces<CallRecordResponse>(StatusCodes.Status202Accepted)
            .Produces<CallBatchResponse>(StatusCodes.Status207MultiStatus)
            .ProducesJsonBodyProblems()
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/calls/{provider}/{callId}", (HttpRequest r, string provider, string callId, CallEndpoints e) => e.GetAsync(r, provider, callId))
            .Describe("GetCall", "Calls", "The merged call record with its client and band; 404 also for another client's call.")
            .RequiresApiKey("operator", "admin")
            .Produces<CallRecordResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/messages", (HttpRequest r, MessageEndpoints e) => e.PostAsync(r))
            .Describe("PostMessage", "Messages", "A qualified message taken by an operator (202 + Location); honours Idempotency-Key.")
            .RequiresApiKey("operator")
            .WithRequestBody<Core.Messages.MessageInput>("application/json")
            .Produces<MessageAcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesJsonBodyProblems();

        api.MapGet("/messages/{id}", (HttpRequest r, string id, MessageEndpoints e) => e.GetAsync(r, id))
            .Describe("GetMessage", "Messages", "The message with its qualification, deliveries and acknowledgements; 404 also for another client's message.")
            .RequiresApiKey("operator", "admin")
            .Produces<MessageResponse>(StatusCodes.Status200OK)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/acks/{token}", (HttpRequest r, string token, AckEndpoints e) => e.GetAsync(r, token))
            .Describe("GetAck", "Acknowledgements", "The acknowledgement page of a signed link: what is acknowledged and one button; changes nothing. 404 forged, 410 expired.")
            .Produces<string>(StatusCodes.Status200OK, "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);

        api.MapPost("/acks/{token}", (HttpRequest r, string token, AckEndpoints e) => e.PostAsync(r, token))
            .Describe("PostAck", "Acknowledgements", "Acknowledges the message for the link's contact and stops its escalation: a page for browsers, JSON otherwise. 404 forged, 410 expired.")
            .Produces<AcknowledgementResponse>(StatusCodes.Status200OK, "application/json", "text/html")
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone);

        api.MapPost("/telephony/twilio/sms", (HttpRequest r, SmsEndpoints e) => e.PostAsync(r))
            .Describe("PostTwilioInboundSms", "Acknowledgements", "Twilio inbound SMS (form-encoded, X-Twilio-Signature): a reply '1234' or 'OK 1234' acknowledges; answers TwiML.")
            .WithRequestBody<TwilioInboundSmsForm>("application/x-www-form-urlencoded")
            .Produces<string>(StatusCodes.Status200OK, "text/xml")
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        api.MapPost("/admin/jobs/sla-report", (HttpRequest r, ReportEndpoints e) => e.RunAsync(r))
            .Describe("RunSlaReportJob", "Reports", "Runs the monthly SLA report of one client and month now (?client=…&period=YYYY-MM), as the hourly job does; the current month gives a month-to-date report.")
            .RequiresApiKey("admin")
            .Produces<SlaReportJobResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapPost("/admin/jobs/rebuild-indexes", (HttpRequest r, ReportEndpoints e) => e.RebuildIndexesAsync(r))
            .Describe("RebuildMonthIndexes", "Reports", "Rewrites one client's entries of the calls and messages indexes by month from the stores (?client=…): a repair, should an index be lost; one at a time (409), not again for a client within 10 minutes (429).")
            .RequiresApiKey("admin")
            .Produces<IndexRebuildResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);

        api.MapGet("/clients/{clientId}/reports", (HttpRequest r, string clientId, ReportEndpoints e) => e.ListAsync(r, clientId))
            .Describe("ListReports", "Reports", "The client's monthly SLA reports, each file with a read-only download link that expires within 15 minutes.")
            .RequiresApiKey("auditor", "admin")
            .Produces<ReportListResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/clients/{clientId}/reports/{period}", (HttpRequest r, string clientId, string period, ReportEndpoints e) => e.GetAsync(r, clientId, period))
            .Describe("GetReport", "Reports", "One month's SLA report files (JSON, CSV, HTML) with read-only download links that expire within 15 minutes.")
            .RequiresApiKey("auditor", "admin")
            .Produces<ReportResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/admin/jobs/export", (HttpRequest r, ExportEndpoints e) => e.RunAsync(r))
            .Describe("RunExportJob", "Exports", "Makes one client's reversibility export of a closed month now (?client=…&period=YYYY-MM), as the hourly job does; 409 for a month not closed yet.")
            .RequiresApiKey("admin")
            .Produces<ExportJobResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/clients/{clientId}/exports", (HttpRequest r, string clientId, ExportEndpoints e) => e.ListAsync(r, clientId))
            .Describe("ListExports", "Exports", "The client's complete monthly exports, each with a read-only link to its manifest (expires within 15 minutes); recorded in the access log.")
            .RequiresApiKey("auditor", "admin")
            .Produces<ExportListResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/clients/{clientId}/exports/{period}", (HttpRequest r, string clientId, string period, ExportEndpoints e) => e.GetAsync(r, clientId, period))
            .Describe("GetExport", "Exports", "One month's export: its manifest and a read-only download link per file (expires within 15 minutes); every link is recorded in the access log.")
            .RequiresApiKey("auditor", "admin")
            .Produces<ExportResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/admin/clients/{clientId}/offboard", (HttpRequest r, string clientId, OffboardingEndpoints e) => e.RequestAsync(r, clientId))
            .Describe("OffboardClient", "Offboarding", "Returns everything of a client: the export of every month lacking one (the month in progress closed now), every configuration version and a top-level manifest; 202 with the status URL in Location.")
            .RequiresApiKey("admin")
            .Produces<OffboardingResponse>(StatusCodes.Status202Accepted)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/admin/clients/{clientId}/offboard", (HttpRequest r, string clientId, OffboardingEndpoints e) => e.StatusAsync(r, clientId))
            .Describe("GetOffboarding", "Offboarding", "The offboarding's status: progress while preparing; once ready, the top-level manifest's SHA-256 and a read-only link to every file (expire within 15 minutes, recorded in the access log); once closed, the deletion certificate.")
            .RequiresApiKey("admin")
            .Produces<OffboardingResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapPost("/admin/clients/{clientId}/offboard/confirm", (HttpRequest r, string clientId, OffboardingEndpoints e) => e.ConfirmAsync(r, clientId))
            .Describe("ConfirmOffboarding", "Offboarding", "Confirms, with the SHA-256 of the top-level manifest, that everything was received: deletes the client's data, closes the client and answers with the signed deletion certificate; 409 and nothing deleted for another hash.")
            .RequiresApiKey("admin")
            .WithRequestBody<OffboardingConfirmRequest>("application/json")
            .Produces<DeletionCertificateResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

        return app;
    }

    /// <summary>
    /// Documents the request body without routing on it: Accepts() would make routing answer a wrong content type
    /// with a bare 415 before the handler, where the handlers answer it as a problem, as the Functions host does.
    /// </summary>
    private static RouteHandlerBuilder WithRequestBody<T>(this RouteHandlerBuilder route, string contentType) =>
        route.WithMetadata(new RequestBodyDescription(typeof(T), contentType));

    private static RouteHandlerBuilder Describe(this RouteHandlerBuilder route, string name, string tag, string summary) =>
        route.WithName(name).WithTags(tag).WithSummary(summary).ProducesProblem(StatusCodes.Status500InternalServerError);

    /// <summary>Bearer API key with one of these roles: 401 without a valid key, 403 outside its role or scope.</summary>
    private static RouteHandlerBuilder RequiresApiKey(this RouteHandlerBuilder route, params string[] roles) =>
        route.WithMetadata(new ApiKeyRequirement(roles))
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

    private static RouteHandlerBuilder ProducesJsonBodyProblems(this RouteHandlerBuilder route) =>
        route.ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesValidationProblem(StatusCodes.Status422UnprocessableEntity);

    private static RouteHandlerBuilder ProducesWebhookProblems(this RouteHandlerBuilder route) =>
        route.Produces<WebhookIgnoredResponse>(StatusCodes.Status200OK)
            .ProducesValidationProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
}

/// <summary>Route metadata: the request body the route reads (for the OpenAPI document only).</summary>
public sealed record RequestBodyDescription(Type Type, string ContentType);

/// <summary>Route metadata: the route takes a bearer API key with one of these roles (for the OpenAPI document).</summary>
public sealed record ApiKeyRequirement(IReadOnlyList<string> Roles);
