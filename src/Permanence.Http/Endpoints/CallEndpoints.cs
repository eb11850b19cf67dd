using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Security;

namespace Permanence.Http.Endpoints;

/// <summary>POST /calls (one normalised record or an array of up to 1,000) and GET /calls/{provider}/{callId}.</summary>
public sealed class CallEndpoints(
    CallIngestionService ingestion,
    IRawArchive archive,
    RequestAuthorization authorization,
    TimeProvider time,
    ILogger<CallEndpoints> logger)
{
    public const int MaxBatch = 1000;
    private static readonly ApiRole[] Roles = [ApiRole.Operator, ApiRole.Admin];

    public async Task<IResult> PostAsync(HttpRequest request)
    {
        var auth = authorization.Authorize(request, Roles);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        var read = await HttpIo.ReadJsonDocumentAsync(request, request.HttpContext.RequestAborted);
        if (read.Problem is not null)
        {
            return read.Problem;
        }
        var body = read.Raw!;
        using (var document = read.Document!)
        {
            var cancellationToken = request.HttpContext.RequestAborted;
            var principal = auth.Principal!;
            var receivedAt = Instant.FromDateTimeOffset(time.GetUtcNow());
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                var mapped = Map(document.RootElement, "");
                if (mapped is PayloadResult.Invalid invalid)
                {
                    return Problems.Unprocessable(invalid.Errors);
                }
                var observation = ((PayloadResult.Accepted)mapped).Observation;
                var result = await ingestion.IngestAsync(observation, principal, cancellationToken);
                if (result is CallIngestResult.Stored stored)
                {
                    // Archived once accepted: a refused record leaves nothing behind.
                    await archive.ArchiveAsync("calls", body, "application/json", receivedAt,
                        stored.Record.ClientId is { } owner ? [owner] : [], CancellationToken.None);
                }
                return ToHttp(result, logger);
            }
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest("Send a call record or an array of them.", "body", "must be an object or an array");
            }
            var items = document.RootElement.EnumerateArray().ToList();
            if (items.Count == 0 || items.Count > MaxBatch)
            {
                return Problems.BadRequest($"An array holds 1 to {MaxBatch} call records.", "body", $"must hold 1 to {MaxBatch} items");
            }

            // Each item is judged alone (207-style): valid items are stored even when others are refused.
            var results = new CallBatchItemResponse[items.Count];
            var archived = false;
            var owners = new SortedSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < items.Count; i++)
            {
                var mapped = Map(items[i], "");
                if (mapped is PayloadResult.Invalid invalid)
                {
                    results[i] = new CallBatchItemResponse(i, StatusCodes.Status422UnprocessableEntity, Errors: invalid.Errors.ToDictionary());
                    continue;
                }
                var observation = ((PayloadResult.Accepted)mapped).Observation;
                var result = await ingestion.IngestAsync(observation, principal, cancellationToken);
                archived |= result is CallIngestResult.Stored;
                if (result is CallIngestResult.Stored { Record.ClientId: { } itemOwner })
                {
                    owners.Add(itemOwner);
                }
                results[i] = result switch
                {
                    CallIngestResult.Stored stored => new CallBatchItemResponse(
                        i, stored.Matched ? StatusCodes.Status200OK : StatusCodes.Status202Accepted, stored.Record.Provider, stored.Record.CallId, stored.Record.ClientId),
                    CallIngestResult.Invalid refused => new CallBatchItemResponse(i, StatusCodes.Status422UnprocessableEntity, Errors: refused.Errors.ToDictionary()),
                    CallIngestResult.Forbidden => new CallBatchItemResponse(i, StatusCodes.Status403Forbidden),
                    CallIngestResult.ClientConflict => new CallBatchItemResponse(i, StatusCodes.Status409Conflict),
                    _ => throw new InvalidOperationException("Unexpected ingestion result."),
                };
            }
            if (archived)
            {
                // Archived once at least one item was accepted: an array refused whole leaves nothing behind.
                await archive.ArchiveAsync("calls", body, "application/json", receivedAt, owners, CancellationToken.None);
            }
            return TypedResults.Json(new CallBatchResponse(results), statusCode: StatusCodes.Status207MultiStatus);
        }
    }

    public async Task<IResult> GetAsync(HttpRequest request, string provider, string callId)
    {
        var auth = authorization.Authorize(request, Roles);
        if (auth.Failure is not null)
        {
            return auth.Failure;
        }
        if (!Identifiers.IsValidClientId(provider) || !Identifiers.IsValidExternalId(callId))
        {
            return Problems.BadRequest("Invalid call reference.", "callId", "provider and call id must be safe identifiers");
        }
        // Another client's call (or an unmatched one, for a key not scoped to every client) answers as a call
        // that does not exist, so ids cannot be probed.
        var found = await ingestion.GetAsync(provider, callId, auth.Principal!, request.HttpContext.RequestAborted);
        if (found is not { } value)
        {
            return Problems.NotFound($"No call {provider}:{callId}.");
        }
        return TypedResults.Ok(CallJson.From(value.Record, value.Band));
    }

    internal static IResult ToHttp(CallIngestResult result, ILogger logger)
    {
        switch (result)
        {
            case CallIngestResult.Stored stored:
                logger.LogInformation("Call {Provider}:{CallId} merged, client {ClientId}, outcome {Outcome}",
                    stored.Record.Provider, stored.Record.CallId, stored.Record.ClientId ?? "(unmatched)", stored.Record.Outcome);
                var json = CallJson.From(stored.Record, band: null);
                return stored.Matched ? TypedResults.Ok(json) : TypedResults.Json(json, statusCode: StatusCodes.Status202Accepted);
            case CallIngestResult.Invalid invalid:
                return Problems.Unprocessable(invalid.Errors);
            case CallIngestResult.Forbidden:
                return Problems.Forbidden("This API key is not scoped to this call's client (calls to no client's number need a key scoped to every client).");
            case CallIngestResult.ClientConflict:
                return Problems.Conflict("This call already belongs to another client; a call's client never changes.");
            default:
                throw new InvalidOperationException("Unexpected ingestion result.");
        }
    }

    private static PayloadResult Map(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            var errors = new ValidationErrors();
            errors.Add(path.Length == 0 ? "body" : path, "must be a call record object");
            return new PayloadResult.Invalid(errors);
        }
        try
        {
            var input = element.Deserialize<CallRecordInput>(ContractService.Json)!;
            return input.Map(path);
        }
        catch (JsonException e)
        {
            var errors = new ValidationErrors();
            errors.Add(string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "body" : e.Path.TrimStart('$', '.'), "is of the wrong type");
            return new PayloadResult.Invalid(errors);
        }
        catch (InvalidOperationException)
        {
            // Text that is not valid UTF-16 once unescaped (a lone surrogate such as "\ud800").
            var errors = new ValidationErrors();
            errors.Add(path.Length == 0 ? "body" : path, "holds text that is not valid Unicode");
            return new PayloadResult.Invalid(errors);
        }
    }
}
