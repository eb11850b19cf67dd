using System.Text.Json;
using Permanence.Core.Offboarding;

namespace Permanence.Cli;

/// <summary>
/// <c>permanence verify-certificate &lt;file&gt; [--key KEY]</c> (README, "Command-line tool"): checks a deletion or
/// retention certificate's signature with the deployment's signing key, then prints what it attests. Exit 0 when
/// the signature holds, 1 when it does not, 2 for a usage error (no file, no key).
/// </summary>
public static class VerifyCertificateCommand
{
    public const string KeyVariable = "PERMANENCE_SIGNING_KEY";
    private const long MaxBytes = 1024 * 1024;

    public static async Task<int> RunAsync(string file, Options options, TextWriter output, TextWriter error)
    {
        options.OnlyAllow("key");
        var key = options.Get("key") ?? Environment.GetEnvironmentVariable(KeyVariable);
        if (string.IsNullOrEmpty(key))
        {
            await error.WriteLineAsync($"permanence: the signing key is needed: --key KEY or the {KeyVariable} environment variable");
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
        var check = new CertificateSigner(key).Verify(await File.ReadAllBytesAsync(file));
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
                    await output.WriteLineAsync($"  {ExportNames.Display(name.GetString()!),-20} {count.GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture),12} deleted");
                }
            }
        }
        await output.WriteLineAsync($"total {(certificate.TryGetProperty("total", out var total) && total.ValueKind == JsonValueKind.Number ? total.GetInt64().ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "-")}; kept: {Text("kept")}");
        return 0;
    }
}
