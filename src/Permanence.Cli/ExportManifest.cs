using System.Text.Json;

namespace Permanence.Cli;

/// <summary>One file as the manifest describes it; <see cref="Rows"/> excludes a CSV's header row.</summary>
public sealed record ManifestFile(string Name, long Bytes, string Sha256, long? Rows);

/// <summary>
/// <c>manifest.json</c> of a monthly reversibility export (README, "Command-line tool"). Only the structure is
/// checked here; whether a name is a plain file name is the verification's business (a FAIL line, not a usage error).
/// </summary>
public sealed record ExportManifest(string? ClientId, string? Period, string? GeneratedAt, bool? Final, IReadOnlyList<ManifestFile> Files)
{
    public const int SchemaVersion = 1;

    /// <summary>A manifest larger than this is not one the server writes; refusing it keeps memory bounded.</summary>
    public const long MaxBytes = 16 * 1024 * 1024;

    /// <exception cref="FormatException">The manifest is not JSON or lacks a required field; the message says which.</exception>
    public static ExportManifest Parse(ReadOnlySpan<byte> json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            return Read(document.RootElement);
        }
    }

    public static ExportManifest Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("not a JSON object");
        }
        if (root.TryGetProperty("schemaVersion", out var version)
            && (version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number) || number != SchemaVersion))
        {
            throw new FormatException($"schemaVersion {version.GetRawText()} is not one this tool reads ({SchemaVersion}); update the tool");
        }
        if (!root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("no \"files\" array");
        }
        var list = new List<ManifestFile>();
        var index = 0;
        foreach (var file in files.EnumerateArray())
        {
            var at = $"files[{index++}]";
            if (file.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"{at} is not an object");
            }
            var name = file.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!
                : throw new FormatException($"{at}.name is missing or not a string");
            var bytes = file.TryGetProperty("bytes", out var b) && b.ValueKind == JsonValueKind.Number && b.TryGetInt64(out var count) && count >= 0 ? count
                : throw new FormatException($"{at}.bytes is missing or not a whole number ≥ 0");
            var sha256 = file.TryGetProperty("sha256", out var s) && s.ValueKind == JsonValueKind.String && IsSha256Hex(s.GetString()!) ? s.GetString()!
                : throw new FormatException($"{at}.sha256 is missing or not 64 lowercase hexadecimal digits");
            long? rows = null;
            if (file.TryGetProperty("rows", out var r) && r.ValueKind != JsonValueKind.Null)
            {
                rows = r.ValueKind == JsonValueKind.Number && r.TryGetInt64(out var value) && value >= 0 ? value
                    : throw new FormatException($"{at}.rows is not a whole number ≥ 0");
            }
            list.Add(new ManifestFile(name, bytes, sha256, rows));
        }
        return new ExportManifest(
            Text(root, "clientId"),
            Text(root, "period"),
            Text(root, "generatedAt"),
            root.TryGetProperty("final", out var final) && final.ValueKind is JsonValueKind.True or JsonValueKind.False ? final.GetBoolean() : null,
            list);
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsSha256Hex(string value) => value.Length == 64 && value.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
