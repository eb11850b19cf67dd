using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Security;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Telephony;

namespace Permanence.Http.Endpoints;

/// <summary>The configured Aircall webhook tokens, digested once at start.</summary>
public sealed class AircallTokens(IOptions<PermanenceOptions> options)
{
    private readonly SecretLookup<string> _tokens = new(options.Value.Aircall.Tokens.Select((token, index) => (token, $"aircall-token-{index}")));

    public bool IsKnown(string? token) => _tokens.Find(token) is not null;
}

/// <summary>Provider webhooks: Twilio Voice status callbacks and Aircall call events (README, "Calls").</summary>
public sealed class TelephonyEndpoints(
    CallIngestionService ingestion,
    IRawArchive archive,
    TwilioSignature twilio,
    AircallTokens aircallTokens,
    TimeProvider time,
    ILogger<TelephonyEndpoints> logger)
{
    public async Task<IResult> TwilioAsync(HttpRequest request)
    {
        var read = await TwilioRequests.ReadSignedAsync(request, twilio);
        if (read.Problem is not null)
        {
            if (read.Problem is IStatusCodeHttpResult { StatusCode: StatusCodes.Status403Forbidden })
            {
                logger.LogWarning("Twilio callback refused: missing or invalid X-Twilio-Signature");
            }
            return read.Problem;
        }
        var form = read.Form!;
        var receivedAt = Now();
        return await IngestAsync("twilio", TwilioVoicePayload.Map(form, receivedAt), read.Body!, "application/x-www-form-urlencoded", receivedAt, request.HttpContext.RequestAborted);
    }

    public async Task<IResult> AircallAsync(HttpRequest request)
    {
        var read = await HttpIo.ReadJsonDocumentAsync(request, request.HttpContext.RequestAborted);
        if (read.Problem is not null)
        {
            return read.Problem;
        }
        using (var document = read.Document!)
        {
            PayloadResult payload;
            var receivedAt = Now();
            try
            {
                if (!aircallTokens.IsKnown(AircallPayload.Token(document.RootElement)))
                {
                    logger.LogWarning("Aircall webhook refused: missing or unknown token");
                    return Problems.Forbidden("The webhook token is missing or unknown.");
                }
                payload = AircallPayload.Map(document.RootElement, receivedAt);
            }
            catch (InvalidOperationException)
            {
                // A string that is not valid UTF-16 once unescaped (a lone surrogate such as "\ud800").
                return Problems.BadRequest("The webhook holds text that is not valid Unicode.", "body", "is not valid Unicode text");
            }
            return await IngestAsync("aircall", payload, read.Raw!, "application/json", receivedAt, request.HttpContext.RequestAborted);
        }
    }

    private async Task<IResult> IngestAsync(string source, PayloadResult payload, byte[] body, string contentType, Instant receivedAt, CancellationToken cancellationToken)
    {
        switch (payload)
        {
            case PayloadResult.Invalid invalid:
                return Problems.BadRequestFields("The webhook payload is invalid.", invalid.Errors);
            case PayloadResult.Ignored ignored:
                await archive.ArchiveAsync(source, body, contentType, receivedAt, [], cancellationToken);
                logger.LogInformation("{Source} webhook accepted and ignored: {Reason}", source, ignored.Reason);
                return TypedResults.Ok(new WebhookIgnoredResponse(true, ignored.Reason));
            case PayloadResult.Accepted accepted:
                var result = await ingestion.IngestAsync(accepted.Observation, ClientScope.Everyone, cancellationToken);
                if (result is CallIngestResult.Stored stored)
                {
                    // Archived once accepted (a refused event leaves nothing behind), whatever the caller does
                    // meanwhile: a stored event must not lose its proof to a dropped connection.
                    await archive.ArchiveAsync(source, body, contentType, receivedAt, ClientsOf(stored.Record), CancellationToken.None);
                }
                return CallEndpoints.ToHttp(result, logger);
            default:
                throw new InvalidOperationException("Unexpected payload result.");
        }
    }

    private static string[] ClientsOf(CallRecord record) => record.ClientId is { } clientId ? [clientId] : [];

    private Instant Now() => Instant.FromDateTimeOffset(time.GetUtcNow());
}
