using System.Net.Mail;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Permanence.Core.Common;
using Permanence.Core.Security;

namespace Permanence.Infrastructure;

/// <summary>Checked on start (ValidateOnStart): a misconfigured host refuses to start and says why.</summary>
/// <param name="services">The host environment, when there is one: without it the host is treated as production.</param>
public sealed class PermanenceOptionsValidator(IServiceProvider services) : IValidateOptions<PermanenceOptions>
{
    public const int MinimumApiKeyLength = 16;
    public const int MinimumSigningKeyLength = 32;

    /// <summary>
    /// The development keys and tokens printed in the README, the run script and the sample settings: anyone can
    /// read them, so a host outside Development refuses to start with any of them.
    /// </summary>
    public static readonly IReadOnlySet<string> PublishedDevelopmentSecrets = new HashSet<string>(StringComparer.Ordinal)
    {
        "dev-admin-key-0000000000000000",
        "dev-operator-key-00000000000000",
        "dev-auditor-key-000000000000000",
        "dev-aircall-token",
        "dev-signing-key-not-for-production-0123456789",
    };

    public ValidateOptionsResult Validate(string? name, PermanenceOptions options)
    {
        var failures = new List<string>();
        var development = services.GetService(typeof(IHostEnvironment)) is IHostEnvironment environment && environment.IsDevelopment();
        if (!development)
        {
            var published = options.ApiKeys.Select((k, i) => (Value: (string?)k.Key, Setting: $"Permanence:ApiKeys:{i}:Key"))
                .Concat(options.Aircall.Tokens.Select((t, i) => (Value: (string?)t, Setting: $"Permanence:Aircall:Tokens:{i}")))
                .Append((Value: (string?)options.Signing.Key, Setting: "Permanence:Signing:Key"))
                .Where(s => s.Value is not null && PublishedDevelopmentSecrets.Contains(s.Value));
            foreach (var (_, setting) in published)
            {
                failures.Add($"{setting} is a published development value: set a secret of your own (allowed only in Development).");
            }
        }
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
        // The channels: email goes through SendGrid once a key is set, SMS through Twilio once a SID is set; each
        // needs its sender, and a base URL, set only to point at a test sink or a relay, must be usable as one.
        var sendGrid = options.SendGrid;
        if (!string.IsNullOrWhiteSpace(sendGrid.ApiKey) && !MailAddress.TryCreate(sendGrid.FromEmail, out _))
        {
            failures.Add("Permanence:SendGrid:FromEmail must be an email address when Permanence:SendGrid:ApiKey is set.");
        }
        if (!string.IsNullOrEmpty(sendGrid.BaseUrl) && !IsHttpUrl(sendGrid.BaseUrl))
        {
            failures.Add("Permanence:SendGrid:BaseUrl must be an absolute http(s) URL.");
        }
        var twilio = options.Twilio;
        if (!string.IsNullOrWhiteSpace(twilio.AccountSid))
        {
            if (string.IsNullOrWhiteSpace(twilio.AuthToken))
            {
                failures.Add("Permanence:Twilio:AuthToken must be set when Permanence:Twilio:AccountSid is.");
            }
            if (!PhoneNumberNormalizer.LooksLikeE164(twilio.FromNumber))
            {
                failures.Add("Permanence:Twilio:FromNumber must be an E.164 number (such as +33186950000) when Permanence:Twilio:AccountSid is set.");
            }
        }
        if (!string.IsNullOrEmpty(twilio.BaseUrl) && !IsHttpUrl(twilio.BaseUrl))
        {
            failures.Add("Permanence:Twilio:BaseUrl must be an absolute http(s) URL.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
