using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
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
        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.UnsupportedMediaType("application/x-www-form-urlencoded");
        }
        var body = await HttpIo.ReadBodyAsync(request, request.HttpContext.RequestAborted);
        if (body.Problem is not null)
        {
            return body.Problem;
        }
        var fields = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body.Body!))
            .Select(p => KeyValuePair.Create(p.Key, (IReadOnlyList<string>)p.Value.Select(v => v ?? "").ToList()))
            .ToList();
        var pathAndQuery = request.Path.Value + request.QueryString.Value;
        if (!twilio.IsValid(pathAndQuery, fields, request.Headers["X-Twilio-Signature"].ToString()))
        {
            logger.LogWarning("Twilio callback refused: missing or invalid X-Twilio-Signature");
            return Problems.Forbidden("X-Twilio-Signature is missing or does not match this request.");
        }
        // A field Twilio repeats is read by its first value.
        var form = fields.ToDictionary(p => p.Key, p => p.Value.Count > 0 ? p.Value[0] : "", StringComparer.Ordinal);
        var receivedAt = Now();
        return await IngestAsync("twilio", TwilioVoicePayload.Map(form, receivedAt), body.Body!, "application/x-www-form-urlencoded", receivedAt, request.HttpContext.RequestAborted);
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
                await archive.ArchiveAsync(source, body, contentType, receivedAt, cancellationToken);
                logger.LogInformation("{Source} webhook accepted and ignored: {Reason}", source, ignored.Reason);
                return TypedResults.Ok(new WebhookIgnoredResponse(true, ignored.Reason));
            case PayloadResult.Accepted accepted:
                var result = await ingestion.IngestAsync(accepted.Observation, ClientScope.Everyone, cancellationToken);
                if (result is CallIngestResult.Stored)
                {
                    // Archived once accepted (a refused event leaves nothing behind), whatever the caller does
                    // meanwhile: a stored event must not lose its proof to a dropped connection.
                    await archive.ArchiveAsync(source, body, contentType, receivedAt, CancellationToken.None);
                }
                return CallEndpoints.ToHttp(result, logger);
            default:
                throw new InvalidOperationException("Unexpected payload result.");
        }
    }

    private Instant Now() => Instant.FromDateTimeOffset(time.GetUtcNow());
}
