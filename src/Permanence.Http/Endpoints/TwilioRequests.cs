using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Permanence.Infrastructure.Telephony;

namespace Permanence.Http.Endpoints;

/// <summary>A Twilio webhook read and its signature checked: the form (first value of each field) and the raw body, or the problem to answer.</summary>
public sealed record SignedTwilioForm(IReadOnlyDictionary<string, string>? Form, byte[]? Body, IResult? Problem);

/// <summary>
/// What every Twilio webhook does first (voice status callbacks, inbound SMS; docs/guides/twilio.md): a
/// form-encoded body within the size limit, signed with X-Twilio-Signature over PublicBaseUrl + path + query.
/// </summary>
public static class TwilioRequests
{
    public static async Task<SignedTwilioForm> ReadSignedAsync(HttpRequest request, TwilioSignature twilio)
    {
        if (!string.Equals(request.ContentType?.Split(';')[0].Trim(), "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return new SignedTwilioForm(null, null, Problems.UnsupportedMediaType("application/x-www-form-urlencoded"));
        }
        var body = await HttpIo.ReadBodyAsync(request, request.HttpContext.RequestAborted);
        if (body.Problem is not null)
        {
            return new SignedTwilioForm(null, null, body.Problem);
        }
        var fields = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body.Body!))
            .Select(p => KeyValuePair.Create(p.Key, (IReadOnlyList<string>)p.Value.Select(v => v ?? "").ToList()))
            .ToList();
        if (!twilio.IsValid(request.Path.Value + request.QueryString.Value, fields, request.Headers["X-Twilio-Signature"].ToString()))
        {
            return new SignedTwilioForm(null, null, Problems.Forbidden("X-Twilio-Signature is missing or does not match this request."));
        }
        // A field Twilio repeats is read by its first value.
        var form = fields.ToDictionary(p => p.Key, p => p.Value.Count > 0 ? p.Value[0] : "", StringComparer.Ordinal);
        return new SignedTwilioForm(form, body.Body, null);
    }
}
