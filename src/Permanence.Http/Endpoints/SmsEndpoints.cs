using System.Text;
using Microsoft.AspNetCore.Http;
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
        var read = await TwilioRequests.ReadSignedAsync(request, twilio);
        if (read.Problem is not null)
        {
            logger.LogWarning("Inbound SMS refused: {Status}", read.Problem is IStatusCodeHttpResult { StatusCode: { } code } ? code : 0);
            return read.Problem;
        }
        var form = read.Form!;
        if (!form.TryGetValue("From", out var from) || from.Length == 0)
        {
            return Problems.BadRequest("The inbound SMS has no sender.", "From", "is required");
        }
        var receivedAt = Instant.FromDateTimeOffset(time.GetUtcNow());
        var result = await acknowledgements.AcknowledgeReplyAsync(from, form.GetValueOrDefault("Body"), request.HttpContext.RequestAborted);
        // Filed under the client whose message the reply acknowledged (a contact's number is that client's data).
        await archive.ArchiveAsync("twilio-sms", read.Body!, "application/x-www-form-urlencoded", receivedAt,
            result is SmsReplyResult.Acknowledged acknowledged ? [acknowledged.ClientId] : [], CancellationToken.None);
        var reply = NotificationTemplates.SmsReplyAnswer(result);
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
