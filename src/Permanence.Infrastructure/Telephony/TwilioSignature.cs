using Microsoft.Extensions.Options;
using Twilio.Security;

namespace Permanence.Infrastructure.Telephony;

/// <summary>Checks X-Twilio-Signature with Twilio's own RequestValidator against PublicBaseUrl + path + query.</summary>
public sealed class TwilioSignature(IOptions<PermanenceOptions> options)
{
    public bool IsConfigured => !string.IsNullOrEmpty(options.Value.Twilio.AuthToken);

    public string UrlFor(string pathAndQuery) => options.Value.PublicBaseUrl.TrimEnd('/') + pathAndQuery;

    public bool IsValid(string pathAndQuery, IDictionary<string, string> form, string? signature)
    {
        if (!IsConfigured || string.IsNullOrEmpty(signature))
        {
            return false;
        }
        var validator = new RequestValidator(options.Value.Twilio.AuthToken);
        return validator.Validate(UrlFor(pathAndQuery), form, signature);
    }
}
