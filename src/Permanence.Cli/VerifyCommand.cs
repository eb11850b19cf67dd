using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;

namespace Permanence.Cli;

/// <summary>
/// <c>permanence verify &lt;folder&gt;</c>: an export folder against its <c>manifest.json</c> (README, "Command-line
/// tool"). Each listed file is read once, in fixed-size chunks, for its byte count, SHA-256 and (CSV) record count:
/// memory stays flat whatever the file's size. Exit 0 when every file passes, 1 when one fails, 2 when there is
/// no folder or no readable manifest.
/// </summary>
public static class VerifyCommand
{
    private const int ChunkSize = 64 * 1024;

    /// <summary>What <c>download</c> asked for: the manifest must be of that client and month.</summary>
    public sealed record Expected(string ClientId, string Period);

    public static async Task<int> RunAsync(string folder, TextWriter output, TextWriter error, Expected? expected = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(folder))
        {
            await error.WriteLineAsync($"permanence: no folder '{ExportNames.Display(folder)}'");
            return 2;
        }
        var root = Path.GetFullPath(folder);
        var manifestPath = Path.Combine(root, ExportNames.Manifest);
        if (!File.Exists(manifestPath))
        {
            await error.WriteLineAsync($"permanence: no {ExportNames.Manifest} in '{ExportNames.Display(folder)}': is it an export folder?");
            return 2;
        }
        ExportManifest manifest;
        try
        {
            if (new FileInfo(manifestPath).Length > ExportManifest.MaxBytes)
            {
                throw new FormatException($"larger than {ExportManifest.MaxBytes / (1024 * 1024)} MB");
            }
            manifest = ExportManifest.Parse(await File.ReadAllBytesAsync(manifestPath, cancellationToken));
        }
        catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"permanence: {ExportNames.Display(manifestPath)} is not a readable export manifest: {e.Message}");
            return 2;
        }

        await output.WriteLineAsync(
            $"export {ExportNames.Display(manifest.ClientId ?? "?")} {ExportNames.Display(manifest.Period ?? "?")}"
            + (manifest.Final switch { true => ", final", false => ", not final (month to date)", null => "" })
            + (manifest.GeneratedAt is { } at ? $", generated {ExportNames.Display(at)}" : "")
            + $": {manifest.Files.Count} file(s) listed");

        var total = 0;
        var failed = 0;
        if (expected is not null && (manifest.ClientId != expected.ClientId || manifest.Period != expected.Period))
        {
            total++;
            failed++;
            await output.WriteLineAsync(
                $"FAIL {ExportNames.Manifest}: it describes {ExportNames.Display(manifest.ClientId ?? "?")} {ExportNames.Display(manifest.Period ?? "?")}, "
                + $"not the {expected.ClientId} {expected.Period} asked for");
        }

        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in manifest.Files)
        {
            total++;
            var line = await CheckAsync(root, file, listed, cancellationToken);
            failed += line.StartsWith("FAIL", StringComparison.Ordinal) ? 1 : 0;
            await output.WriteLineAsync(line);
        }

        var extras = Directory.EnumerateFileSystemEntries(root)
            .Select(Path.GetFileName)
            .Where(name => name is not null && name != ExportNames.Manifest && !listed.Contains(name))
            .Order(StringComparer.Ordinal)
            .ToList();
        foreach (var extra in extras)
        {
            total++;
            failed++;
            await output.WriteLineAsync($"EXTRA {ExportNames.Display(extra)}: not in the manifest");
        }

        await output.WriteLineAsync(failed == 0 ? $"verified {total} files: all pass" : $"{failed} of {total} files failed");
        return failed == 0 ? 0 : 1;
    }

    private static async Task<string> CheckAsync(string root, ManifestFile file, HashSet<string> listed, CancellationToken cancellationToken)
    {
        var shown = ExportNames.Display(file.Name);
        // A hostile manifest must not make verify read outside the folder: such a name is never opened.
        if (!ExportNames.IsPlainFileName(file.Name))
        {
            return $"FAIL {shown}: not a plain file name (a path, or a name no export uses); not read";
        }
        if (!listed.Add(file.Name))
        {
            return $"FAIL {shown}: listed twice in the manifest";
        }
        var path = Path.Combine(root, file.Name);
        if (Path.GetDirectoryName(Path.GetFullPath(path)) != Path.TrimEndingDirectorySeparator(root))
        {
            return $"FAIL {shown}: not a plain file name; not read";
        }
        var info = new FileInfo(path);
        if (info.Exists && info.LinkTarget is not null)
        {
            return $"FAIL {shown}: a symbolic link, not a file; not followed";
        }
        if (Directory.Exists(path))
        {
            return $"FAIL {shown}: a folder, not a file";
        }
        if (!info.Exists)
        {
            return $"FAIL {shown}: missing";
        }

        var isCsv = file.Name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);
        FileDigest digest;
        try
        {
            digest = await DigestAsync(path, isCsv, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"FAIL {shown}: cannot be read ({e.Message})";
        }

        var problems = new List<string>();
        if (digest.Bytes != file.Bytes)
        {
            problems.Add($"bytes differ (expected {file.Bytes}, got {digest.Bytes})");
        }
        if (digest.Sha256 != file.Sha256)
        {
            problems.Add($"sha256 differs (expected {file.Sha256}, got {digest.Sha256})");
        }
        if (isCsv && digest.Csv is { } csv)
        {
            if (csv.EndsInsideQuotes)
            {
                problems.Add("the CSV ends inside a quoted field");
            }
            if (file.Rows is not { } rows)
            {
                problems.Add($"the manifest gives no row count (got {csv.DataRows})");
            }
            else if (csv.DataRows != rows)
            {
                problems.Add($"rows differ (expected {rows}, got {csv.DataRows})");
            }
        }
        if (problems.Count > 0)
        {
            return $"FAIL {shown}: {string.Join("; ", problems)}";
        }
        var rowsText = isCsv ? $"  {digest.Csv!.DataRows.ToString(CultureInfo.InvariantCulture)} rows" : "";
        return $"PASS {shown}{rowsText}  {digest.Bytes.ToString(CultureInfo.InvariantCulture)} bytes  sha256 {digest.Sha256[..12]}…";
    }

    private sealed record FileDigest(long Bytes, string Sha256, CsvRecordCounter? Csv);

    /// <summary>One pass over the file: byte count, SHA-256 and, for a CSV, its records, from a single pooled buffer.</summary>
    private static async Task<FileDigest> DigestAsync(string path, bool isCsv, CancellationToken cancellationToken)
    {
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var csv = isCsv ? new CsvRecordCounter() : null;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
            long bytes = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken)) > 0)
            {
                bytes += read;
                sha256.AppendData(buffer, 0, read);
                csv?.Add(buffer.AsSpan(0, read));
            }
            return new FileDigest(bytes, Convert.ToHexStringLower(sha256.GetHashAndReset()), csv);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
