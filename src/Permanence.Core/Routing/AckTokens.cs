using System.Security.Cryptography;
using System.Text;
using NodaTime;
using Permanence.Core.Common;

namespace Permanence.Core.Routing;

public abstract record AckTokenCheck
{
    public sealed record Valid(string MessageId, string ContactId, Instant ExpiresAt) : AckTokenCheck;

    public sealed record Expired(string MessageId, string ContactId) : AckTokenCheck;

    /// <summary>Malformed or not signed by us: answered like an unknown page (404).</summary>
    public sealed record Forged : AckTokenCheck;
}

/// <summary>
/// Acknowledgement tokens (docs/guides/routing.md, "Acknowledging"): <c>{messageId}~{contactId}~{expiry}~{mac}</c>, the mac an
/// HMAC-SHA256 under the signing key truncated to 128 bits. Short enough for an SMS, and nothing to store.
/// Also derives the 4-digit SMS reply code of a (message, contact), the same on every attempt.
/// </summary>
public sealed class AckTokens
{
    public static readonly Duration Lifetime = Duration.FromHours(24);
    private const char Separator = '~';
    private const int MacBytes = 16;
    private readonly byte[] _key;

    public AckTokens(string signingKey)
    {
        if (string.IsNullOrEmpty(signingKey))
        {
            throw new ArgumentException("A signing key is required.", nameof(signingKey));
        }
        _key = Encoding.UTF8.GetBytes(signingKey);
    }

    public string Issue(string messageId, string contactId, Instant expiresAt)
    {
        var payload = $"{messageId}{Separator}{contactId}{Separator}{expiresAt.ToUnixTimeSeconds()}";
        return $"{payload}{Separator}{Mac(payload)}";
    }

    public AckTokenCheck Check(string? token, Instant now)
    {
        if (token is null || token.Length > 300)
        {
            return new AckTokenCheck.Forged();
        }
        var parts = token.Split(Separator);
        if (parts.Length != 4 || !Identifiers.IsValidExternalId(parts[0]) || !Identifiers.IsValidExternalId(parts[1]) ||
            !long.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expiry))
        {
            return new AckTokenCheck.Forged();
        }
        var payload = string.Join(Separator, parts[0], parts[1], parts[2]);
        var expected = Encoding.ASCII.GetBytes(Mac(payload));
        var given = Encoding.ASCII.GetBytes(parts[3]);
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return new AckTokenCheck.Forged();
        }
        if (expiry > Instant.MaxValue.ToUnixTimeSeconds())
        {
            return new AckTokenCheck.Forged();
        }
        var expiresAt = Instant.FromUnixTimeSeconds(expiry);
        return now >= expiresAt ? new AckTokenCheck.Expired(parts[0], parts[1]) : new AckTokenCheck.Valid(parts[0], parts[1], expiresAt);
    }

    /// <summary>The 4-digit code an SMS recipient replies with; derived, so every attempt of a step sends the same one.</summary>
    public string ReplyCode(string messageId, string contactId)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"sms-reply{Separator}{messageId}{Separator}{contactId}"));
        var value = BitConverter.ToUInt32(mac, 0) % 10_000;
        return value.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
    }

    private string Mac(string payload)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"ack{Separator}{payload}"));
        return Convert.ToBase64String(mac, 0, MacBytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
