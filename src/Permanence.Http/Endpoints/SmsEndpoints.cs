using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Telephony;

namespace Permanence.Http.Endpoints;

/// <summary>
/// POST /telephony/twilio/sms (docs/guides/routing.md, "Acknowledging"): Twilio's inbound-SMS webhook, signed like voice
/// callbacks. A reply "1234" or "OK 1234" acknowledges; the answer is TwiML, with a confirmation SMS when it did.
/// </summary>
public sealed class SmsEndpoints(
    AcknowledgementService acknowledgements,
    IRawArchive archive,
    TwilioSignature twilio,
    TimeProvider time,
    ILogger<SmsEndpoints> logger)
{
    public async Task<IResult> PostAsync(HttpRequest request)
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
        if (!twilio.IsValid(request.Path.Value + request.QueryString.Value, fields, request.Headers["X-Twilio-Signature"].ToString()))
        {
            logger.LogWarning("Inbound SMS refused: missing or invalid X-Twilio-Signature");
            return Problems.Forbidden("X-Twilio-Signature is missing or does not match this request.");
        }
        var form = fields.ToDictionary(p => p.Key, p => p.Value.Count > 0 ? p.Value[0] : "", StringComparer.Ordinal);
        if (!form.TryGetValue("From", out var from) || from.Length == 0)
        {
            return Problems.BadRequest("The inbound SMS has no sender.", "From", "is required");
        }
        await archive.ArchiveAsync("twilio-sms", body.Body!, "application/x-www-form-urlencoded", Instant.FromDateTimeOffset(time.GetUtcNow()), CancellationToken.None);
        var result = await acknowledgements.AcknowledgeReplyAsync(from, form.GetValueOrDefault("Body"), request.HttpContext.RequestAborted);
        var reply = result switch
        {
            SmsReplyResult.Acknowledged ack => ack.Culture.StartsWith("fr", StringComparison.Ordinal)
                ? "Prise en charge enregistrée. Merci."
                : "Acknowledgement recorded. Thank you.",
            SmsReplyResult.Ambiguous ambiguous => ambiguous.Culture.StartsWith("fr", StringComparison.Ordinal)
                ? "Plusieurs messages en attente ont ce code : merci d'utiliser le lien du message."
                : "Several pending messages have this code: please use the link in the message.",
            _ => null,
        };
        if (result is SmsReplyResult.NotRecognised)
        {
            logger.LogInformation("Inbound SMS is not a pending acknowledgement code");
        }
        var twiml = reply is null
            ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>"
            : $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{System.Security.SecurityElement.Escape(reply)}</Message></Response>";
        return TypedResults.Content(twiml, "text/xml; charset=utf-8", Encoding.UTF8, StatusCodes.Status200OK);
    }
}
