using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Permanence.Infrastructure.Telephony;

/// <summary>
/// Checks X-Twilio-Signature against PublicBaseUrl + path + query (README, "Twilio"): HMAC-SHA1 with the auth
/// token over the URL followed by every form field, keys in ordinal order, each as name + value. A field repeated
/// in the request is signed as Twilio signs it: its distinct values in ordinal order, each preceded by its name.
/// </summary>
public sealed class TwilioSignature(IOptions<PermanenceOptions> options)
{
    public bool IsConfigured => !string.IsNullOrEmpty(options.Value.Twilio.AuthToken);

    public string UrlFor(string pathAndQuery) => options.Value.PublicBaseUrl.TrimEnd('/') + pathAndQuery;

    public bool IsValid(string pathAndQuery, IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> form, string? signature)
    {
        if (!IsConfigured || string.IsNullOrEmpty(signature))
        {
            return false;
        }
        var presented = new byte[20];
        if (!Convert.TryFromBase64String(signature, presented, out var length) || length != presented.Length)
        {
            return false;
        }
        var fields = form.ToList();
        // Twilio may sign the URL with or without the scheme's default port: accept either form.
        return UrlVariants(UrlFor(pathAndQuery)).Any(url => CryptographicOperations.FixedTimeEquals(Compute(url, fields), presented));
    }

    public byte[] Compute(string url, IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, values) in form.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var value in values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                data.Append(name).Append(value);
            }
        }
        return HMACSHA1.HashData(Encoding.UTF8.GetBytes(options.Value.Twilio.AuthToken!), Encoding.UTF8.GetBytes(data.ToString()));
    }

    private static IEnumerable<string> UrlVariants(string url)
    {
        var variants = new List<string> { url };
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            variants.Add($"{uri.Scheme}://{uri.Host}{uri.PathAndQuery}");
            variants.Add($"{uri.Scheme}://{uri.Host}:{uri.Port}{uri.PathAndQuery}");
        }
        return variants.Distinct(StringComparer.Ordinal);
    }
}
