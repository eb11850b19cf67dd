using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Permanence.Core.Offboarding;

/// <summary>
/// What a deletion or retention certificate attests (README, "Offboarding and retention"). Stores are counted per
/// store; months are the client's own calendar months the deleted data came from.
/// </summary>
public sealed record CertificateBody(
    string Type,
    string ClientId,
    string IssuedAt,
    IReadOnlyList<string> Months,
    IReadOnlyList<ErasedStore> Stores,
    long Total,
    string Kept)
{
    public string? RequestedAt { get; init; }

    public string? ConfirmedAt { get; init; }

    /// <summary>The id of the admin key that confirmed (not the key).</summary>
    public string? ConfirmedBy { get; init; }

    /// <summary>SHA-256 of the offboarding package's top-level manifest the confirmation quoted.</summary>
    public string? ManifestSha256 { get; init; }

    /// <summary>The ids of the admin keys that were handed the returned package's download links.</summary>
    public IReadOnlyList<string>? PackageIssuedTo { get; init; }

    /// <summary>Retention: the months up to this one are past the contract's retention.</summary>
    public string? RetainedFrom { get; init; }
}

/// <summary>The outcome of checking a certificate file.</summary>
public sealed record CertificateCheck(bool Valid, string? Problem, JsonElement? Certificate);

/// <summary>
/// Signs and checks certificates: the file is <c>{"certificate": {…}, "signature": {"algorithm": "HMAC-SHA256",
/// "value": hex}}</c>, the HMAC taken over <c>"permanence-certificate-v1\n"</c> followed by the certificate object's
/// exact bytes in the file, so that no re-serialisation can change what was signed. The HMAC key is the
/// certificate key, derived from the deployment's signing key (HMAC-SHA256 of "permanence-certificate-key-v1"): it
/// can be handed to an auditor, who can then check certificates without being able to mint acknowledgement links
/// or anything else the signing key signs.
/// </summary>
public sealed class CertificateSigner
{
    public const string Algorithm = "HMAC-SHA256";
    private static readonly byte[] Domain = "permanence-certificate-v1\n"u8.ToArray();

    // Readable UTF-8 ("É", "+", "&" as themselves), indented.
    private static readonly JsonSerializerOptions Json = Common.StorageJson.Readable;

    private readonly byte[] _key;

    public CertificateSigner(string signingKey) : this(DeriveCertificateKey(signingKey))
    {
    }

    private CertificateSigner(byte[] certificateKey) => _key = certificateKey;

    /// <summary>A checker holding only the certificate key (64 hexadecimal digits), as an auditor does.</summary>
    public static CertificateSigner FromCertificateKey(string hex)
    {
        if (hex is not { Length: 64 } || !hex.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException("A certificate key is 64 hexadecimal digits.", nameof(hex));
        }
        return new CertificateSigner(Convert.FromHexString(hex));
    }

    /// <summary>The certificate key of a deployment, as 64 lower-case hexadecimal digits (to hand to an auditor).</summary>
    public static string CertificateKeyOf(string signingKey) => Convert.ToHexStringLower(DeriveCertificateKey(signingKey));

    private static byte[] DeriveCertificateKey(string signingKey)
    {
        if (string.IsNullOrEmpty(signingKey))
        {
            throw new ArgumentException("A signing key is required.", nameof(signingKey));
        }
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), "permanence-certificate-key-v1"u8);
    }

    public byte[] Sign(CertificateBody body)
    {
        var certificate = JsonSerializer.SerializeToUtf8Bytes(body, Json);
        var signature = Convert.ToHexStringLower(Mac(certificate));
        using var file = new MemoryStream();
        file.Write("{\n\"certificate\": "u8);
        file.Write(certificate);
        file.Write(Encoding.UTF8.GetBytes($",\n\"signature\": {{ \"algorithm\": \"{Algorithm}\", \"value\": \"{signature}\" }}\n}}\n"));
        return file.ToArray();
    }

    public CertificateCheck Verify(ReadOnlyMemory<byte> file)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(file);
        }
        catch (JsonException)
        {
            return new CertificateCheck(false, "the file is not JSON", null);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("certificate", out var certificate) || certificate.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("signature", out var signature) || signature.ValueKind != JsonValueKind.Object
                || !signature.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
            {
                return new CertificateCheck(false, "the file is not a certificate (certificate and signature expected)", null);
            }
            if (!signature.TryGetProperty("algorithm", out var algorithm) || algorithm.ValueKind != JsonValueKind.String || algorithm.GetString() != Algorithm)
            {
                return new CertificateCheck(false, $"unknown signature algorithm (expected {Algorithm})", null);
            }
            byte[] given;
            try
            {
                given = Convert.FromHexString(value.GetString()!);
            }
            catch (FormatException)
            {
                return new CertificateCheck(false, "the signature is not hexadecimal", null);
            }
            // The certificate's bytes exactly as they are in the file.
            var signed = Encoding.UTF8.GetBytes(certificate.GetRawText());
            return CryptographicOperations.FixedTimeEquals(Mac(signed), given)
                ? new CertificateCheck(true, null, certificate.Clone())
                : new CertificateCheck(false, "the signature does not match: the certificate was changed or signed with another key", certificate.Clone());
        }
    }

    private byte[] Mac(byte[] certificate)
    {
        using var hmac = new HMACSHA256(_key);
        hmac.TransformBlock(Domain, 0, Domain.Length, null, 0);
        hmac.TransformFinalBlock(certificate, 0, certificate.Length);
        return hmac.Hash!;
    }
}
