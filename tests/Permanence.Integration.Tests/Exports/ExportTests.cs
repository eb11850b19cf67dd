using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Permanence.Core.Exports;
using Permanence.Infrastructure.Storage;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Routing;

namespace Permanence.Integration.Tests.Exports;

/// <summary>
/// README, "Reversibility exports": a month of traffic (calls, messages routed with their deliveries and an
/// acknowledgement) exported, listed and downloaded by an auditor through the issued links, each file checked
/// against the manifest; reruns change nothing, an interrupted run is completed, every link is in the access log.
/// </summary>
public sealed partial class ExportTests
{
    private static readonly YearMonth October = new(2026, 10);

    private static async Task<(RoutingWorld World, string ClientId, string Number, string UrgentId)> MonthOfTrafficAsync()
    {
        // The real clock (links are checked by storage against its own), October being a closed month.
        var world = new RoutingWorld(DateTimeOffset.UtcNow.AddSeconds(2));
        var configuration = RoutingWorld.Althea();
        var number = (string)configuration["numbers"]![0]!;
        var clientId = await world.PutClientAsync(configuration);
        var calls = new JsonArray(
            Call(clientId, 1, number, "2026-10-05T07:31:10Z", "2026-10-05T07:31:22Z", "2026-10-05T07:35:00Z", "answered"),
            Call(clientId, 2, number, "2026-10-05T08:00:00Z", null, "2026-10-05T08:00:03Z", "abandoned"),
            Call(clientId, 3, number, "2026-10-31T22:59:59Z", null, "2026-10-31T23:00:30Z", "missed"));
        Assert.Equal(HttpStatusCode.MultiStatus, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, calls))).StatusCode);
        string urgent = "";
        foreach (var (scenario, fields) in new[] { ("urgence", new JsonObject { ["symptoms"] = "douleur thoracique" }), ("rdv", new JsonObject { ["preferredDate"] = "mardi" }) })
        {
            var response = await world.Http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
            {
                ["clientId"] = clientId,
                ["scenario"] = scenario,
                ["callId"] = $"pbx:{clientId}-1",
                ["caller"] = new JsonObject { ["name"] = "Élodie Durand & fils", ["phone"] = "06 12 34 56 78" },
                ["fields"] = fields,
                ["text"] = "Rappeler, c'est urgent, merci",
                ["takenAt"] = "2026-10-05T07:36:00Z",
            }));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            urgent = scenario == "urgence" ? (string)(await response.JsonAsync())["id"]! : urgent;
        }
        await world.PumpAsync();
        // The urgent message is acknowledged through the link of its first notification.
        var outbox = await world.OutboxAsync(clientId, urgent);
        var token = AckLink().Match(string.Concat(outbox.Values)).Groups[1].Value;
        Assert.NotEmpty(token);
        Assert.Equal(HttpStatusCode.OK, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/acks/{token}", null))).StatusCode);
        return (world, clientId, number, urgent);
    }

    [GeneratedRegex(@"/api/acks/([A-Za-z0-9~_\-]+)")]
    private static partial Regex AckLink();

    private static JsonObject Call(string clientId, int n, string number, string startedAt, string? answeredAt, string endedAt, string outcome) => new()
    {
        ["provider"] = "pbx",
        ["callId"] = $"{clientId}-{n}",
        ["direction"] = "inbound",
        ["from"] = "+33612345678",
        ["to"] = number,
        ["startedAt"] = startedAt,
        ["answeredAt"] = answeredAt,
        ["endedAt"] = endedAt,
        ["outcome"] = outcome,
        ["agentId"] = "op-12",
    };

    private static BlobContainerClient Exports(RoutingWorld world) =>
        world.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(StorageNames.ExportsContainer);

    private static async Task<Dictionary<string, ETag>> ETagsAsync(RoutingWorld world, string clientId)
    {
        var tags = new Dictionary<string, ETag>();
        await foreach (var blob in Exports(world).GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{clientId}/", CancellationToken.None))
        {
            tags[blob.Name] = blob.Properties.ETag!.Value;
        }
        return tags;
    }

    private static long CsvRecords(string text)
    {
        long records = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && text[i] == '\n')
            {
                records++;
            }
        }
        return records - 1; // the header
    }

    [Fact]
    public async Task AMonthOfTraffic_IsExported_ListedAndDownloadedThroughLoggedLinks_EachFileMatchingItsManifest()
    {
        var (world, clientId, _, urgent) = await MonthOfTrafficAsync();
        await using var _ = world;

        var run = await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/export?client={clientId}&period=2026-10", TestKeys.Admin));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        Assert.Equal("written", (string?)(await run.JsonAsync())["outcome"]);
        var written = await ETagsAsync(world, clientId);
        Assert.Equal(8, written.Count); // six data files, the access log and the manifest

        // A rerun writes nothing.
        var rerun = await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/export?client={clientId}&period=2026-10", TestKeys.Admin));
        Assert.Equal("alreadyComplete", (string?)(await rerun.JsonAsync())["outcome"]);
        Assert.Equal(written, await ETagsAsync(world, clientId));

        // The auditor lists, then downloads through the links.
        var list = await (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{clientId}/exports", TestKeys.Auditor))).JsonAsync();
        Assert.Equal("2026-10", (string?)Assert.Single(list["exports"]!.AsArray())!["period"]);
        var export = await (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{clientId}/exports/2026-10", TestKeys.Auditor))).JsonAsync();
        var manifest = export["manifest"]!;
        Assert.Equal((clientId, "2026-10", 1, true), ((string)manifest["clientId"]!, (string)manifest["period"]!, (int)manifest["schemaVersion"]!, (bool)manifest["final"]!));
        var links = export["files"]!.AsArray().ToDictionary(f => (string)f!["name"]!, f => f!);
        var issued = world.Time.GetUtcNow();
        Assert.All(links.Values, l => Assert.InRange(DateTimeOffset.Parse((string)l["expiresAt"]!, CultureInfo.InvariantCulture), issued.AddMinutes(1), issued.AddMinutes(15)));
        using var storage = new HttpClient();
        var contents = new Dictionary<string, byte[]>();
        foreach (var (name, link) in links)
        {
            var response = await storage.GetAsync((string)link["url"]!);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            contents[name] = await response.Content.ReadAsByteArrayAsync();
        }
        Assert.Equal(JsonNode.Parse(contents[ExportFiles.ManifestFile])!.ToJsonString(), manifest.ToJsonString());
        foreach (var file in manifest["files"]!.AsArray())
        {
            var name = (string)file!["name"]!;
            Assert.Equal((long)file["bytes"]!, contents[name].LongLength);
            Assert.Equal((string)file["sha256"]!, Convert.ToHexStringLower(SHA256.HashData(contents[name])));
            if (name.EndsWith(".csv", StringComparison.Ordinal))
            {
                Assert.Equal((long)file["rows"]!, CsvRecords(Encoding.UTF8.GetString(contents[name])));
            }
        }

        // The auditor's tool checks the downloaded folder; one flipped byte fails that file alone.
        var folder = Directory.CreateTempSubdirectory("permanence-export-").FullName;
        try
        {
            foreach (var (name, bytes) in contents)
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, name), bytes);
            }
            var output = new StringWriter();
            Assert.Equal(0, await Permanence.Cli.CommandLine.RunAsync(["verify", folder], output, new StringWriter()));
            Assert.Equal(7, Regex.Matches(output.ToString(), "^PASS ", RegexOptions.Multiline).Count);
            var calls = contents[ExportFiles.Calls].ToArray();
            calls[^3] ^= 0x01;
            await File.WriteAllBytesAsync(Path.Combine(folder, ExportFiles.Calls), calls);
            output = new StringWriter();
            Assert.Equal(1, await Permanence.Cli.CommandLine.RunAsync(["verify", folder], output, new StringWriter()));
            var failed = Regex.Matches(output.ToString(), "^FAIL (\\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value.TrimEnd(':')).ToList();
            Assert.Equal([ExportFiles.Calls], failed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }

        // What the files hold: E.164 numbers, ISO-8601 UTC, readable UTF-8, nothing internal.
        var callLines = Encoding.UTF8.GetString(contents[ExportFiles.Calls]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("provider,callId,direction,from,to,startedAt,answeredAt,endedAt,outcome,reportedOutcome,agentId", callLines[0]);
        Assert.Equal(4, callLines.Length);
        Assert.Contains(callLines, l => l.StartsWith($"pbx,{clientId}-1,inbound,+33612345678,", StringComparison.Ordinal) && l.Contains(",2026-10-05T07:31:10Z,2026-10-05T07:31:22Z,", StringComparison.Ordinal));
        var messages = Encoding.UTF8.GetString(contents[ExportFiles.Messages]);
        Assert.DoesNotContain("requestHash", messages, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("submittedBy", messages, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(",Élodie Durand & fils,+33612345678,", messages, StringComparison.Ordinal);
        Assert.Contains("\"Rappeler, c'est urgent, merci\"", messages, StringComparison.Ordinal); // quoted: it holds commas
        Assert.Contains("+33612345678", messages, StringComparison.Ordinal);
        Assert.Equal(2, CsvRecords(messages));
        var deliveries = Encoding.UTF8.GetString(contents[ExportFiles.Deliveries]);
        // Who is on call depends on the hour the test runs: some step of the urgent message sent something.
        Assert.Matches($@"attempt,{urgent},\d+,sent,", deliveries);
        Assert.Matches($@"step,{urgent},0,(ran|skipped),", deliveries);
        var acknowledgements = Encoding.UTF8.GetString(contents[ExportFiles.Acknowledgements]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, acknowledgements.Length);
        Assert.StartsWith($"{urgent},", acknowledgements[1], StringComparison.Ordinal);
        var configuration = Encoding.UTF8.GetString(contents[ExportFiles.Configuration]);
        Assert.Contains("Cabinet Médical Althéa", configuration, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", configuration, StringComparison.Ordinal);
        Assert.Contains("whsec_********", configuration, StringComparison.Ordinal);
        var report = JsonNode.Parse(contents[ExportFiles.SlaReport])!;
        Assert.True((bool)report["final"]!);
        Assert.Equal(3, (int)report["calls"]!["inbound"]!);

        // Every link issued is in the access log (this month's, in the client's zone), with the key that got it.
        var log = new List<ExportAccess>();
        var thisMonth = Instant.FromDateTimeOffset(DateTimeOffset.UtcNow).InZone(DateTimeZoneProviders.Tzdb["Europe/Paris"]).Date.ToYearMonth();
        await foreach (var entry in world.Services.GetRequiredService<IExportAccessLog>().ListAsync(clientId, thisMonth, CancellationToken.None))
        {
            log.Add(entry);
        }
        Assert.Equal(links.Keys.Order(), log.Where(e => e.Action == "download").Select(e => e.File!).Order());
        Assert.Contains(log, e => e.Action == "list" && e.File is null);
        Assert.All(log, e => Assert.Equal("auditor", e.Role));

        // A link is read-only, and one issued 20 minutes ago is refused by storage.
        var blobs = world.Services.GetRequiredService<BlobServiceClient>();
        var (expired, _) = await new BlobDownloadLinks(blobs, new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-20)))
            .ReadLinkAsync(Exports(world).GetBlobClient($"{clientId}/2026-10/calls.csv"), CancellationToken.None);
        Assert.Equal(HttpStatusCode.Forbidden, (await storage.GetAsync(expired)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await storage.DeleteAsync((string)links[ExportFiles.Calls]["url"]!)).StatusCode);
    }

    [Fact]
    public async Task AnExportInterruptedAfterTwoFiles_IsCompletedByTheNextRun_WithoutRewritingThem()
    {
        var (world, clientId, _, _) = await MonthOfTrafficAsync();
        await using var _ = world;
        var failing = ActivatorUtilities.CreateInstance<ExportJob>(world.Services, new FailsAfter(world.Services.GetRequiredService<IExportStore>(), 2));
        await Assert.ThrowsAsync<IOException>(() => failing.RunAsync(clientId, October, CancellationToken.None));
        var partial = await ETagsAsync(world, clientId);
        Assert.Equal([$"{clientId}/2026-10/calls.csv", $"{clientId}/2026-10/messages.csv"], partial.Keys.Order());

        var job = world.Services.GetRequiredService<ExportJob>();
        Assert.Equal(ExportJobOutcome.Written, await job.RunAsync(clientId, October, CancellationToken.None));
        var complete = await ETagsAsync(world, clientId);
        Assert.Equal(8, complete.Count);
        Assert.All(partial, p => Assert.Equal(p.Value, complete[p.Key]));
        Assert.Equal(ExportJobOutcome.AlreadyComplete, await job.RunAsync(clientId, October, CancellationToken.None));
        Assert.Equal(complete, await ETagsAsync(world, clientId));
    }

    [Fact]
    public async Task BadInput_IsRefused_AndWritesNothing()
    {
        var (world, clientId, _, _) = await MonthOfTrafficAsync();
        await using var _ = world;
        async Task<HttpStatusCode> RunAsync(string query, string key = TestKeys.Admin) =>
            (await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/export{query}", key))).StatusCode;
        var current = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM", CultureInfo.InvariantCulture);
        Assert.Equal(HttpStatusCode.Conflict, await RunAsync($"?client={clientId}&period={current}"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=2026-09"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=..%2F2026-10"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=2026-10-01"));
        Assert.Equal(HttpStatusCode.NotFound, await RunAsync("?client=no-such-client-000&period=2026-10"));
        Assert.Equal(HttpStatusCode.Forbidden, await RunAsync($"?client={clientId}&period=2026-10", TestKeys.Auditor));
        async Task<HttpStatusCode> GetAsync(string path, string key = TestKeys.Auditor) =>
            (await world.Http.SendAsync(Api.Request(HttpMethod.Get, path, key))).StatusCode;
        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync($"/api/clients/{clientId}/exports/2026-1"));
        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync($"/api/clients/{clientId}/exports/..%2F..%2Freports"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync($"/api/clients/{clientId}/exports/2026-10"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync($"/api/clients/{clientId}/exports", TestKeys.Operator));
        Assert.Empty(await ETagsAsync(world, clientId));
    }

    /// <summary>The real export store, failing once a number of files have been written (a run that dies half-way).</summary>
    private sealed class FailsAfter(IExportStore inner, int files) : IExportStore
    {
        private int _written;

        public Task<ExportFileInfo?> GetAsync(ExportFolder folder, string name, CancellationToken cancellationToken) => inner.GetAsync(folder, name, cancellationToken);

        public Task<ExportWrite> WriteCsvAsync(ExportFolder folder, string name, IReadOnlyList<string> header, IAsyncEnumerable<string?[]> rows, CancellationToken cancellationToken) =>
            ++_written > files ? throw new IOException("The process stopped.") : inner.WriteCsvAsync(folder, name, header, rows, cancellationToken);

        public Task<ExportWrite> WriteAsync(ExportFolder folder, string name, string contentType, ReadOnlyMemory<byte> content, long rows, CancellationToken cancellationToken) =>
            ++_written > files ? throw new IOException("The process stopped.") : inner.WriteAsync(folder, name, contentType, content, rows, cancellationToken);

        public Task<ReadOnlyMemory<byte>?> ReadAsync(ExportFolder folder, string name, CancellationToken cancellationToken) => inner.ReadAsync(folder, name, cancellationToken);

        public Task<IReadOnlyList<YearMonth>> ListPeriodsAsync(string clientId, CancellationToken cancellationToken) => inner.ListPeriodsAsync(clientId, cancellationToken);

        public Task<Permanence.Core.Common.DownloadLink?> LinkAsync(ExportFolder folder, string name, CancellationToken cancellationToken) => inner.LinkAsync(folder, name, cancellationToken);
    }
}
