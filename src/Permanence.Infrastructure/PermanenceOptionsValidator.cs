using Microsoft.Extensions.Options;
using Permanence.Core.Common;
using Permanence.Core.Security;

namespace Permanence.Infrastructure;

/// <summary>Checked on start (ValidateOnStart): a misconfigured host refuses to start and says why.</summary>
public sealed class PermanenceOptionsValidator : IValidateOptions<PermanenceOptions>
{
    public const int MinimumApiKeyLength = 16;
    public const int MinimumSigningKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, PermanenceOptions options)
    {
        var failures = new List<string>();
        var storage = options.Storage;
        if (!storage.UsesConnectionString)
        {
            foreach (var (key, value) in new[] { ("BlobServiceUri", storage.BlobServiceUri), ("TableServiceUri", storage.TableServiceUri), ("QueueServiceUri", storage.QueueServiceUri) })
            {
                if (!Uri.TryCreate(value, UriKind.Absolute, out _))
                {
                    failures.Add($"Permanence:Storage:ConnectionString or Permanence:Storage:{key} must be set.");
                }
            }
        }
        if (!Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add("Permanence:PublicBaseUrl must be an absolute http(s) URL.");
        }
        if (string.IsNullOrEmpty(options.Signing.Key) || options.Signing.Key.Length < MinimumSigningKeyLength)
        {
            failures.Add($"Permanence:Signing:Key must be at least {MinimumSigningKeyLength} characters.");
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var key = options.ApiKeys[i];
            if (key.Key.Length < MinimumApiKeyLength)
            {
                failures.Add($"Permanence:ApiKeys:{i}:Key must be at least {MinimumApiKeyLength} characters.");
            }
            else if (!seen.Add(key.Key))
            {
                failures.Add($"Permanence:ApiKeys:{i}:Key is used twice.");
            }
            if (!ApiKeyRegistry.TryParseRole(key.Role, out _))
            {
                failures.Add($"Permanence:ApiKeys:{i}:Role must be operator, admin or auditor.");
            }
            if (key.Clients.Count == 0)
            {
                failures.Add($"Permanence:ApiKeys:{i}:Clients must list client ids, or * for all.");
            }
            foreach (var client in key.Clients)
            {
                if (client != "*" && !Identifiers.IsValidClientId(client))
                {
                    failures.Add($"Permanence:ApiKeys:{i}:Clients has an invalid client id.");
                }
            }
        }
        foreach (var token in options.Aircall.Tokens)
        {
            if (string.IsNullOrWhiteSpace(token))
            {
                failures.Add("Permanence:Aircall:Tokens must not contain blank tokens.");
            }
        }
        if (options.SendGrid.BaseUrl is { Length: > 0 } sendGridUrl && !Uri.TryCreate(sendGridUrl, UriKind.Absolute, out _))
        {
            failures.Add("Permanence:SendGrid:BaseUrl must be an absolute URL.");
        }
        if (options.Twilio.BaseUrl is { Length: > 0 } twilioUrl && !Uri.TryCreate(twilioUrl, UriKind.Absolute, out _))
        {
            failures.Add("Permanence:Twilio:BaseUrl must be an absolute URL.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
