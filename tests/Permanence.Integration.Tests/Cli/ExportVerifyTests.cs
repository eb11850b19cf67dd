using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Permanence.Cli;

namespace Permanence.Integration.Tests.Cli;

/// <summary>
/// <c>permanence verify</c> (README, "Command-line tool") on export folders built in a temporary directory:
/// a good export passes; one flipped byte, a missing or extra file, a wrong row count and a hostile name each fail.
/// </summary>
public sealed class ExportVerifyTests : IDisposable
{
    /// <summary>RFC 4180 at its corners: quoted commas, doubled quotes, CRLF and LF inside quotes, accents, no final line break.</summary>
    public const string Calls =
        "id,caller,note\r\n"
        + "1,\"Durand, Hélène\",\"rappeler \"\"vite\"\"\r\nsecond line\"\r\n"
        + "2,Émile Zoë,simple\r\n"
        + "3,\"a\nb\",\"\"";

    public const string Messages = """[{"id":"m1","caller":"Mme Çelik"},{"id":"m2","caller":"M. Petit"}]""";

    private readonly string _parent = Directory.CreateTempSubdirectory("permanence-verify-").FullName;

    public ExportVerifyTests()
    {
        Folder = Path.Combine(_parent, "althea-2026-10");
        Directory.CreateDirectory(Folder);
    }

    public string Folder { get; }

    public void Dispose() => Directory.Delete(_parent, recursive: true);

    [Fact]
    public async Task Verify_AGoodExport_PassesEveryFile()
    {
        WriteGoodExport(Folder);

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(0, code);
        var lines = Lines(output);
        Assert.Equal("export althea 2026-10, final, generated 2026-11-01T00:35:12Z: 2 file(s) listed", lines[0]);
        var calls = Encoding.UTF8.GetBytes(Calls);
        Assert.Equal($"PASS calls.csv  3 rows  {calls.Length} bytes  sha256 {Sha256(calls)[..12]}…", lines[1]);
        Assert.StartsWith($"PASS messages.json  {Encoding.UTF8.GetByteCount(Messages)} bytes  sha256 ", lines[2], StringComparison.Ordinal);
        Assert.Equal("verified 2 files: all pass", lines[^1]);
    }

    [Fact]
    public async Task Verify_OneByteFlipped_FailsThatFileAlone()
    {
        WriteGoodExport(Folder);
        var path = Path.Combine(Folder, "messages.json");
        var bytes = File.ReadAllBytes(path);
        var expected = Sha256(bytes);
        bytes[10] ^= 0x01; // "m1" becomes "l1": same length, same JSON shape
        File.WriteAllBytes(path, bytes);

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.StartsWith("PASS calls.csv", lines[1], StringComparison.Ordinal);
        Assert.Equal($"FAIL messages.json: sha256 differs (expected {expected}, got {Sha256(bytes)})", lines[2]);
        Assert.Equal("1 of 2 files failed", lines[^1]);
    }

    [Fact]
    public async Task Verify_AMissingFile_Fails()
    {
        WriteGoodExport(Folder);
        File.Delete(Path.Combine(Folder, "calls.csv"));

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        Assert.Contains("FAIL calls.csv: missing", Lines(output));
        Assert.Equal("1 of 2 files failed", Lines(output)[^1]);
    }

    [Fact]
    public async Task Verify_AFileTheManifestDoesNotList_IsAnExtraFailure()
    {
        WriteGoodExport(Folder);
        File.WriteAllText(Path.Combine(Folder, "notes.txt"), "added later");
        Directory.CreateDirectory(Path.Combine(Folder, "old"));

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.Contains("EXTRA notes.txt: not in the manifest", lines);
        Assert.Contains("EXTRA old: not in the manifest", lines);
        Assert.Equal(2, lines.Count(l => l.StartsWith("PASS ", StringComparison.Ordinal)));
        Assert.Equal("2 of 4 files failed", lines[^1]);
    }

    [Fact]
    public async Task Verify_WrongRowsOrBytes_FailWithBothFigures()
    {
        WriteGoodExport(Folder, callsRows: 4);
        File.AppendAllText(Path.Combine(Folder, "messages.json"), "\n");

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        var lines = Lines(output);
        Assert.Equal("FAIL calls.csv: rows differ (expected 4, got 3)", lines[1]);
        Assert.StartsWith($"FAIL messages.json: bytes differ (expected {Encoding.UTF8.GetByteCount(Messages)}, got {Encoding.UTF8.GetByteCount(Messages) + 1}); sha256 differs", lines[2], StringComparison.Ordinal);
        Assert.Equal("2 of 2 files failed", lines[^1]);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..\\x")]
    [InlineData("sub/../../x")]
    [InlineData("/etc/hostname")]
    [InlineData("..")]
    [InlineData("x\u001b[2J")]
    public async Task Verify_AManifestNameThatIsNotAPlainFileName_FailsWithoutReadingIt(string name)
    {
        // The file outside the folder matches the entry exactly: were it read, it would pass.
        var outside = Encoding.UTF8.GetBytes("outside the export");
        File.WriteAllBytes(Path.Combine(_parent, "x"), outside);
        WriteFile(Folder, "calls.csv", Calls);
        WriteManifest(Folder, [Entry("calls.csv", Encoding.UTF8.GetBytes(Calls), 3), Entry(name, outside, null)]);

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        var lines = Lines(output);
        var fail = Assert.Single(lines, l => l.StartsWith("FAIL ", StringComparison.Ordinal));
        Assert.EndsWith(": not a plain file name (a path, or a name no export uses); not read", fail, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', output); // a hostile name cannot drive the terminal either
        Assert.Equal("1 of 2 files failed", lines[^1]);
    }

    [Fact]
    public async Task Verify_ASymbolicLinkInTheFolder_IsNotFollowed()
    {
        var outside = Encoding.UTF8.GetBytes(Calls);
        File.WriteAllBytes(Path.Combine(_parent, "elsewhere.csv"), outside);
        File.CreateSymbolicLink(Path.Combine(Folder, "calls.csv"), Path.Combine(_parent, "elsewhere.csv"));
        WriteManifest(Folder, [Entry("calls.csv", outside, 3)]);

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        Assert.Contains("FAIL calls.csv: a symbolic link, not a file; not followed", Lines(output));
    }

    [Fact]
    public async Task Verify_AFiveMegabyteCsv_CountsItsRecordsAndHashesIt()
    {
        // Streamed in 64 KiB chunks: quotes, doubled quotes and CRLF inside quotes land on every chunk boundary.
        var rows = 0;
        var path = Path.Combine(Folder, "calls.csv");
        using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)))
        {
            const string header = "id,caller,note\r\n";
            writer.Write(header);
            long length = header.Length;
            while (length < 5 * 1024 * 1024)
            {
                var row = $"{rows},\"Hélène, n°{rows}\",\"dit \"\"rappelez\"\"\r\nà 18 h\"\r\n";
                writer.Write(row);
                length += Encoding.UTF8.GetByteCount(row);
                rows++;
            }
        }
        var bytes = File.ReadAllBytes(path);
        WriteManifest(Folder, [Entry("calls.csv", bytes, rows)]);

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(0, code);
        Assert.Equal($"PASS calls.csv  {rows} rows  {bytes.Length} bytes  sha256 {Sha256(bytes)[..12]}…", Lines(output)[1]);
    }

    [Theory]
    [InlineData("", 0)]
    [InlineData("a,b", 0)]
    [InlineData("a,b\r\n", 0)]
    [InlineData("a,b\r\n1,2", 1)]
    [InlineData("a,b\n1,2\n", 1)]
    [InlineData("a,b\r1,2\r", 1)]
    [InlineData("a,b\r\n\"1\r\n\",\"x,\"\"y\"\"\"\r\n3,4\r\n", 2)]
    [InlineData("a\r\n\r\n", 1)]
    [InlineData("a\r\nx\"y,\"z\"w\r\n", 1)]
    public void CsvRecordCounter_CountsTheSameWhateverTheChunks(string csv, long rows)
    {
        var bytes = Encoding.UTF8.GetBytes(csv);
        for (var chunk = 1; chunk <= Math.Max(1, bytes.Length); chunk++)
        {
            var counter = new CsvRecordCounter();
            for (var i = 0; i < bytes.Length; i += chunk)
            {
                counter.Add(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)));
            }
            Assert.Equal(rows, counter.DataRows);
            Assert.False(counter.EndsInsideQuotes);
        }
    }

    [Fact]
    public async Task Verify_ACsvEndingInsideQuotes_Fails()
    {
        const string truncated = "id,note\r\n1,\"cut here";
        WriteFile(Folder, "calls.csv", truncated);
        WriteManifest(Folder, [Entry("calls.csv", Encoding.UTF8.GetBytes(truncated), 1)]);

        var (code, output, _) = await RunAsync("verify", Folder);

        Assert.Equal(1, code);
        Assert.Contains("FAIL calls.csv: the CSV ends inside a quoted field", Lines(output));
    }

    [Fact]
    public async Task Verify_UsageErrors_ExitTwoWithAClearMessage()
    {
        Assert.Equal(2, (await RunAsync("verify")).Code);
        Assert.Equal(2, (await RunAsync("verify", Folder, Folder)).Code);

        var (code, _, error) = await RunAsync("verify", Path.Combine(_parent, "nowhere"));
        Assert.Equal(2, code);
        Assert.Contains("no folder", error, StringComparison.Ordinal);

        (code, _, error) = await RunAsync("verify", Folder);
        Assert.Equal(2, code);
        Assert.Contains("no manifest.json in", error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(Folder, "manifest.json"), "{ \"files\": [ { \"name\": \"calls.csv\" ");
        (code, _, error) = await RunAsync("verify", Folder);
        Assert.Equal(2, code);
        Assert.Contains("is not a readable export manifest: not valid JSON", error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(Folder, "manifest.json"), """{ "files": [ { "name": "calls.csv", "bytes": 3, "sha256": "ABC" } ] }""");
        (code, _, error) = await RunAsync("verify", Folder);
        Assert.Equal(2, code);
        Assert.Contains("files[0].sha256 is missing or not 64 lowercase hexadecimal digits", error, StringComparison.Ordinal);

        File.WriteAllText(Path.Combine(Folder, "manifest.json"), """{ "schemaVersion": 2, "files": [] }""");
        (code, _, error) = await RunAsync("verify", Folder);
        Assert.Equal(2, code);
        Assert.Contains("schemaVersion 2 is not one this tool reads", error, StringComparison.Ordinal);
    }

    internal static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CommandLine.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    internal static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>calls.csv (3 rows) and messages.json (2 rows, as the manifest says), with their manifest.</summary>
    internal static void WriteGoodExport(string folder, long callsRows = 3)
    {
        WriteFile(folder, "calls.csv", Calls);
        WriteFile(folder, "messages.json", Messages);
        WriteManifest(folder, [Entry("calls.csv", Encoding.UTF8.GetBytes(Calls), callsRows), Entry("messages.json", Encoding.UTF8.GetBytes(Messages), 2)]);
    }

    internal static void WriteFile(string folder, string name, string content) =>
        File.WriteAllBytes(Path.Combine(folder, name), Encoding.UTF8.GetBytes(content));

    internal static object Entry(string name, byte[] content, long? rows) =>
        new { name, rows, bytes = content.LongLength, sha256 = Sha256(content) };

    internal static byte[] ManifestBytes(IEnumerable<object> files) =>
        JsonSerializer.SerializeToUtf8Bytes(new
        {
            clientId = "althea",
            period = "2026-10",
            generatedAt = "2026-11-01T00:35:12Z",
            schemaVersion = 1,
            final = true,
            files,
        });

    internal static void WriteManifest(string folder, IEnumerable<object> files) =>
        File.WriteAllBytes(Path.Combine(folder, "manifest.json"), ManifestBytes(files));
}
