using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Permanence.Integration.Tests.Cli;

/// <summary>
/// <c>permanence download</c> (README, "Command-line tool") against a fake server on 127.0.0.1: the auditor
/// route's listing, then each file from its link, then the verification.
/// </summary>
public sealed class ExportDownloadTests : IAsyncLifetime
{
    private const string ApiKey = "auditor-key-never-printed-0123456789";
    private const string Signature = "sig=sas-signature-never-printed";

    private readonly string _parent = Directory.CreateTempSubdirectory("permanence-download-").FullName;
    private FakeExportServer _server = null!;

    private string Out => Path.Combine(_parent, "out", "althea-2026-10");

    public async Task InitializeAsync() => _server = await FakeExportServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_parent, recursive: true);
    }

    [Fact]
    public async Task Download_AGoodExport_WritesEveryFileAndVerifiesThem()
    {
        var files = GoodFiles();
        _server.Serve(files);

        var (code, output, error) = await DownloadAsync();

        Assert.True(code == 0, output + error);
        foreach (var (name, content) in files)
        {
            Assert.Equal(content, File.ReadAllBytes(Path.Combine(Out, name)));
        }
        var lines = ExportVerifyTests.Lines(output);
        Assert.Contains(lines, l => l.StartsWith("PASS calls.csv  3 rows  ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("PASS messages.json  ", StringComparison.Ordinal));
        Assert.Equal("verified 2 files: all pass", lines[^1]);
        Assert.DoesNotContain(ApiKey, output + error, StringComparison.Ordinal);
        Assert.DoesNotContain(Signature, output + error, StringComparison.Ordinal);

        // The key goes to the API only; the links carry their own grant.
        var listing = Assert.Single(_server.Requests, r => r.Path.StartsWith("/api/", StringComparison.Ordinal));
        Assert.Equal("/api/clients/althea/exports/2026-10", listing.Path);
        Assert.Equal($"Bearer {ApiKey}", listing.Authorization);
        var downloads = _server.Requests.Where(r => r.Path.StartsWith("/blobs/", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, downloads.Count);
        Assert.All(downloads, r => Assert.Null(r.Authorization));
    }

    [Theory]
    [InlineData(401, "the API key was refused")]
    [InlineData(403, "this key may not read the exports of althea")]
    [InlineData(404, "no export of althea for 2026-10")]
    [InlineData(409, "the export of althea for 2026-10 is not ready")]
    public async Task Download_AnErrorFromTheApi_ExitsOneWithTheProblemDetail(int status, string what)
    {
        _server.Refuse(status, $"Detail of the {status}, with the key {ApiKey} echoed.");

        var (code, output, error) = await DownloadAsync();

        Assert.Equal(1, code);
        Assert.Contains($"permanence: HTTP {status}: {what}: Detail of the {status}, with the key *** echoed.", error, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, output + error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/blobs/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("/tmp/evil")]
    [InlineData("sub\\evil")]
    public async Task Download_AListingWithAHostileFileName_IsRefusedBeforeAnyDownload(string name)
    {
        var files = GoodFiles();
        files[name] = Encoding.UTF8.GetBytes("evil");
        _server.Serve(files);

        var (code, _, error) = await DownloadAsync();

        Assert.Equal(1, code);
        Assert.Contains($"it lists '{name}', which is not a plain file name; nothing downloaded", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
        Assert.False(File.Exists(Path.Combine(_parent, "out", "evil")));
        Assert.DoesNotContain(_server.Requests, r => r.Path.StartsWith("/blobs/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Download_AFileThatDiffersFromTheManifest_FailsTheVerification()
    {
        var files = GoodFiles();
        _server.Serve(files, tamper: "messages.json");

        var (code, output, _) = await DownloadAsync();

        Assert.Equal(1, code);
        var lines = ExportVerifyTests.Lines(output);
        Assert.Contains(lines, l => l.StartsWith("FAIL messages.json: sha256 differs", StringComparison.Ordinal));
        Assert.Equal("1 of 2 files failed", lines[^1]);
    }

    [Fact]
    public async Task Download_AnExpiredLink_KeepsNothing()
    {
        _server.Serve(GoodFiles(), expired: "messages.json");

        var (code, _, error) = await DownloadAsync();

        Assert.Equal(1, code);
        Assert.Contains("messages.json: download failed: HTTP 403 (the links expire within 15 minutes)", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Out));
    }

    [Theory]
    [InlineData("--client", "Althea")]
    [InlineData("--client", "-althea")]
    [InlineData("--client", "althea/../x")]
    [InlineData("--period", "2026-13")]
    [InlineData("--period", "2026-1")]
    [InlineData("--period", "2026-10-01")]
    [InlineData("--base-url", "http://permanence.example.com")]
    [InlineData("--base-url", "ftp://127.0.0.1")]
    [InlineData("--peroid", "2026-10")]
    public async Task Download_BadArguments_AreRefusedBeforeAnyRequest(string option, string value)
    {
        var args = new Dictionary<string, string>
        {
            ["--client"] = "althea",
            ["--period"] = "2026-10",
            ["--out"] = Out,
            ["--base-url"] = _server.BaseUrl,
            ["--api-key"] = ApiKey,
        };
        args[option] = value;

        var (code, _, error) = await ExportVerifyTests.RunAsync(["download", .. args.SelectMany(a => new[] { a.Key, a.Value })]);

        Assert.Equal(2, code);
        Assert.StartsWith("permanence: ", error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    private Task<(int Code, string Output, string Error)> DownloadAsync() =>
        ExportVerifyTests.RunAsync("download", "--client", "althea", "--period", "2026-10", "--out", Out, "--base-url", _server.BaseUrl, "--api-key", ApiKey);

    private static Dictionary<string, byte[]> GoodFiles() => new(StringComparer.Ordinal)
    {
        ["calls.csv"] = Encoding.UTF8.GetBytes(ExportVerifyTests.Calls),
        ["messages.json"] = Encoding.UTF8.GetBytes(ExportVerifyTests.Messages),
    };

    /// <summary>
    /// The auditor route and the storage links of a server, on 127.0.0.1 with a port the OS picks (the empty
    /// builder reads no configuration: nothing from the test directory adds endpoints).
    /// </summary>
    private sealed class FakeExportServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentQueue<(string Path, string? Authorization)> _requests = new();
        private volatile Answer _answer = new(404, "application/problem+json", "{}"u8.ToArray(), new Dictionary<string, byte[]>(), null);

        private FakeExportServer(WebApplication app)
        {
            _app = app;
            app.Run(HandleAsync);
        }

        private sealed record Answer(int Status, string ContentType, byte[] Listing, IReadOnlyDictionary<string, byte[]> Blobs, string? Expired);

        public string BaseUrl { get; private set; } = "";

        public IReadOnlyList<(string Path, string? Authorization)> Requests => [.. _requests];

        public static async Task<FakeExportServer> StartAsync()
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
            builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
            var server = new FakeExportServer(builder.Build());
            await server._app.StartAsync();
            server.BaseUrl = server._app.Urls.Single().TrimEnd('/');
            return server;
        }

        /// <summary>
        /// A listing of these files and their manifest (its own entry first, as the server lists it). The
        /// manifest describes <paramref name="files"/> as given; <paramref name="tamper"/> is served changed.
        /// </summary>
        public void Serve(IReadOnlyDictionary<string, byte[]> files, string? tamper = null, string? expired = null)
        {
            var manifest = ExportVerifyTests.ManifestBytes(files.Select(f => ExportVerifyTests.Entry(
                f.Key, f.Value, f.Key.EndsWith(".csv", StringComparison.Ordinal) ? 3 : 2)));
            var blobs = new Dictionary<string, byte[]>(files, StringComparer.Ordinal) { ["manifest.json"] = manifest };
            if (tamper is not null)
            {
                blobs[tamper] = [.. blobs[tamper].Select((b, i) => i == 2 ? (byte)(b ^ 1) : b)];
            }
            var listing = JsonSerializer.SerializeToUtf8Bytes(new
            {
                clientId = "althea",
                period = "2026-10",
                final = true,
                manifest = JsonDocument.Parse(manifest).RootElement,
                files = blobs.OrderBy(b => b.Key == "manifest.json" ? 0 : 1).Select(b => new
                {
                    name = b.Key,
                    bytes = b.Value.Length,
                    url = $"{BaseUrl}/blobs/{Uri.EscapeDataString(b.Key)}?sv=2025-01-05&sp=r&{Signature}",
                    expiresAt = "2026-11-26T10:15:00+00:00",
                }),
            });
            _answer = new Answer(200, "application/json; charset=utf-8", listing, blobs, expired);
        }

        /// <summary>The route answers an RFC 9457 problem.</summary>
        public void Refuse(int status, string detail) =>
            _answer = new Answer(status, "application/problem+json", JsonSerializer.SerializeToUtf8Bytes(new { type = "about:blank", title = "Refused", status, detail }), new Dictionary<string, byte[]>(), null);

        private async Task HandleAsync(HttpContext context)
        {
            var path = context.Request.Path.Value ?? "";
            _requests.Enqueue((path, context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null));
            var answer = _answer;
            if (path.StartsWith("/api/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = answer.Status;
                context.Response.ContentType = answer.ContentType;
                await context.Response.Body.WriteAsync(answer.Listing);
                return;
            }
            var name = Uri.UnescapeDataString(path["/blobs/".Length..]);
            if (!context.Request.QueryString.Value!.Contains(Signature, StringComparison.Ordinal) || !answer.Blobs.TryGetValue(name, out var blob) || name == answer.Expired)
            {
                context.Response.StatusCode = 403;
                return;
            }
            context.Response.ContentType = "application/octet-stream";
            context.Response.ContentLength = blob.Length;
            await context.Response.Body.WriteAsync(blob);
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
