using System.Text.Json;
using Permanence.Core.Offboarding;

namespace Permanence.Cli;

/// <summary>
/// <c>permanence verify-certificate &lt;file&gt; [--key KEY | --signing-key KEY]</c> (README, "Command-line tool"):
/// checks a deletion or retention certificate's signature with the deployment's certificate key (or its signing
/// key, from which the certificate key is derived), then prints what it attests. Exit 0 when the signature holds,
/// 1 when it does not, 2 for a usage error (no file, no key).
/// </summary>
public static class VerifyCertificateCommand
{
    public const string KeyVariable = "PERMANENCE_CERTIFICATE_KEY";
    public const string SigningKeyVariable = "PERMANENCE_SIGNING_KEY";
    private const long MaxBytes = 1024 * 1024;

    public static async Task<int> RunAsync(string file, Options options, TextWriter output, TextWriter error)
    {
        options.OnlyAllow("key", "signing-key");
        CertificateSigner signer;
        try
        {
            signer = (options.Get("key") ?? Environment.GetEnvironmentVariable(KeyVariable), options.Get("signing-key") ?? Environment.GetEnvironmentVariable(SigningKeyVariable)) switch
            {
                ({ Length: > 0 } key, _) => CertificateSigner.FromCertificateKey(key),
                (_, { Length: > 0 } signingKey) => new CertificateSigner(signingKey),
                _ => throw new ArgumentException($"the certificate key is needed: --key KEY (or {KeyVariable}); the agency can also use --signing-key (or {SigningKeyVariable})"),
            };
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync($"permanence: {e.Message}");
            return 2;
        }
        if (!File.Exists(file))
        {
            await error.WriteLineAsync($"permanence: no file '{ExportNames.Display(file)}'");
            return 2;
        }
        if (new FileInfo(file).Length > MaxBytes)
        {
            await output.WriteLineAsync($"FAIL {ExportNames.Display(file)}: larger than a certificate can be");
            return 1;
        }
        var check = signer.Verify(await File.ReadAllBytesAsync(file));
        if (!check.Valid)
        {
            await output.WriteLineAsync($"FAIL {ExportNames.Display(file)}: {check.Problem}");
            return 1;
        }
        var certificate = check.Certificate!.Value;
        string Text(string name) => certificate.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? ExportNames.Display(value.GetString()!) : "-";
        await output.WriteLineAsync($"PASS {ExportNames.Display(file)}: signature valid ({CertificateSigner.Algorithm})");
        await output.WriteLineAsync($"{Text("type")} certificate of client {Text("clientId")}, issued {Text("issuedAt")}");
        if (certificate.TryGetProperty("confirmedAt", out _))
        {
            await output.WriteLineAsync($"confirmed {Text("confirmedAt")} by key {Text("confirmedBy")}, offboarding requested {Text("requestedAt")}");
            await output.WriteLineAsync($"returned package manifest sha256 {Text("manifestSha256")}");
        }
        if (certificate.TryGetProperty("retainedFrom", out _))
        {
            await output.WriteLineAsync($"retained from {Text("retainedFrom")}");
        }
        if (certificate.TryGetProperty("months", out var months) && months.ValueKind == JsonValueKind.Array)
        {
            var listed = months.EnumerateArray().Where(m => m.ValueKind == JsonValueKind.String).Select(m => ExportNames.Display(m.GetString()!)).ToList();
            await output.WriteLineAsync($"months: {(listed.Count == 0 ? "none" : string.Join(' ', listed))}");
        }
        if (certificate.TryGetProperty("stores", out var stores) && stores.ValueKind == JsonValueKind.Array)
        {
            foreach (var store in stores.EnumerateArray())
            {
                if (store.ValueKind == JsonValueKind.Object && store.TryGetProperty("store", out var name) && name.ValueKind == JsonValueKind.String
                    && store.TryGetProperty("count", out var count) && count.ValueKind == JsonValueKind.Number)
                {
                    // Shared batch bodies naming another client too are kept as its proof, no longer naming this one.
                    var what = name.GetString() == ErasureSummary.SharedRawKept ? "kept for another client" : "deleted";
                    await output.WriteLineAsync($"  {ExportNames.Display(name.GetString()!),-20} {count.GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture),12} {what}");
                }
            }
        }
        await output.WriteLineAsync($"total {(certificate.TryGetProperty("total", out var total) && total.ValueKind == JsonValueKind.Number ? total.GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-")}; kept: {Text("kept")}");
        return 0;
    }

    /// <summary><c>permanence certificate-key [--signing-key KEY]</c>: the certificate key to hand to an auditor.</summary>
    public static async Task<int> PrintKeyAsync(Options options, TextWriter output, TextWriter error)
    {
        options.OnlyAllow("signing-key");
        var signingKey = options.Get("signing-key") ?? Environment.GetEnvironmentVariable(SigningKeyVariable);
        if (string.IsNullOrEmpty(signingKey))
        {
            await error.WriteLineAsync($"permanence: the deployment's signing key is needed: --signing-key KEY or {SigningKeyVariable}");
            return 2;
        }
        await output.WriteLineAsync(CertificateSigner.CertificateKeyOf(signingKey));
        return 0;
    }
}
