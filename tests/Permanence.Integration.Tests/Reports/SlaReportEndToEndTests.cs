using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using AngleSharp.Html.Parser;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Permanence.Infrastructure.Storage;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Reports;

/// <summary>
/// README, "Monthly SLA report" and "Reports for auditors": a month of calls and messages posted through the
/// HTTP API, the admin job, and the files read back through the auditor route's download links, against figures
/// this test computes on its own from what it posted.
/// </summary>
public sealed class SlaReportEndToEndTests(HostFixture<StandaloneHost.Factory> fixture) : IClassFixture<HostFixture<StandaloneHost.Factory>>
{
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    private sealed record PostedCall(LocalDateTime Start, int? PickupSeconds, int DurationSeconds, string Outcome);

    /// <summary>The sample contract's bands, written out here independently of the calendar code.</summary>
    private static string BandOf(LocalDateTime local)
    {
        var minutes = local.Hour * 60 + local.Minute;
        var weekday = local.DayOfWeek is >= IsoDayOfWeek.Monday and <= IsoDayOfWeek.Friday;
        return weekday && minutes is >= 8 * 60 + 30 and < 18 * 60 + 30 ? "business"
            : weekday && minutes is >= 18 * 60 + 30 and < 22 * 60 ? "evening"
            : local.DayOfWeek == IsoDayOfWeek.Saturday && minutes is >= 9 * 60 and < 12 * 60 ? "saturday"
            : "closed";
    }

    private static List<PostedCall> GenerateOctober()
    {
        var random = new Random(20261031);
        var calls = new List<PostedCall>();
        for (var i = 0; i < 400; i++)
        {
            var start = new LocalDate(2026, 10, 1 + random.Next(31)).At(new LocalTime(random.Next(24), random.Next(60), random.Next(60)));
            if (Paris.MapLocal(start).Count != 1)
            {
                continue; // the hour repeated on 25 October: its local time does not name one instant
            }
            calls.Add(random.Next(10) switch
            {
                < 6 => new PostedCall(start, random.Next(1, 61), random.Next(60, 600), "answered"),
                6 => new PostedCall(start, null, random.Next(1, 5), "abandoned"), // short
                7 => new PostedCall(start, null, random.Next(5, 90), "abandoned"),
                8 => new PostedCall(start, null, random.Next(10, 40), "voicemail"),
                _ => new PostedCall(start, null, 30, "missed"),
            });
        }
        return calls;
    }

    private static string Utc(LocalDateTime local, int plusSeconds = 0) =>
        local.InZoneStrictly(Paris).ToInstant().Plus(Duration.FromSeconds(plusSeconds)).ToString("uuuu-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static decimal? Rate(int part, int whole) => whole == 0 ? null : (decimal)part / whole;

    [Fact]
    public async Task AMonthPostedThroughTheApi_ReadsBackThroughTheAuditorLinks_WithTheFiguresComputedHere()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, number) = await Seed.ClientAsync(http);
        var calls = GenerateOctober();
        foreach (var chunk in calls.Select((c, i) => (c, i)).Chunk(200))
        {
            var batch = new JsonArray(chunk.Select(x => (JsonNode)new JsonObject
            {
                ["provider"] = "pbx",
                ["callId"] = $"{clientId}-{x.i}",
                ["direction"] = "inbound",
                ["from"] = "+33612345678",
                ["to"] = number,
                ["startedAt"] = Utc(x.c.Start),
                ["answeredAt"] = x.c.PickupSeconds is { } pickup ? Utc(x.c.Start, pickup) : null,
                ["endedAt"] = Utc(x.c.Start, (x.c.PickupSeconds ?? 0) + x.c.DurationSeconds),
                ["outcome"] = x.c.Outcome,
            }).ToArray());
            var posted = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, batch));
            Assert.Equal(HttpStatusCode.MultiStatus, posted.StatusCode);
        }
        // Messages: complete and incomplete appointments, lab results.
        var messages = new[] { ("rdv", true), ("rdv", false), ("resultats", true), ("rdv", true), ("resultats", true) };
        foreach (var (scenario, complete) in messages)
        {
            var values = complete && scenario == "rdv" ? new JsonObject { ["preferredDate"] = "2026-11-03" } : new JsonObject();
            var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
            {
                ["clientId"] = clientId,
                ["scenario"] = scenario,
                ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "+33612345678" },
                ["fields"] = values,
                ["takenAt"] = "2026-10-07T09:15:00Z",
            }));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var run = await http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/sla-report?client={clientId}&period=2026-10", TestKeys.Admin));
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var ran = JsonNode.Parse(await run.Content.ReadAsStringAsync())!;
        Assert.Equal("written", (string?)ran["outcome"]);
        Assert.True((bool)ran["final"]!);

        // The auditor's view: one report, three files, links that expire within 15 minutes.
        var now = fixture.Host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        var listing = JsonNode.Parse(await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{clientId}/reports/2026-10", TestKeys.Auditor))).Content.ReadAsStringAsync())!;
        Assert.Equal(clientId, (string?)listing["clientId"]);
        Assert.Equal("2026-10", (string?)listing["period"]);
        var files = listing["files"]!.AsArray().ToDictionary(f => (string)f!["name"]!, f => f!);
        Assert.Equal(["sla-report.csv", "sla-report.html", "sla-report.json"], files.Keys.Order());
        foreach (var file in files.Values)
        {
            var expiresAt = DateTimeOffset.Parse((string)file["expiresAt"]!, CultureInfo.InvariantCulture);
            Assert.InRange(expiresAt, now, now.AddMinutes(15));
        }
        using var storage = new HttpClient();
        async Task<string> DownloadAsync(string name)
        {
            var response = await storage.GetAsync((string)files[name]["url"]!);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal((long)files[name]["bytes"]!, bytes.LongLength);
            return System.Text.Encoding.UTF8.GetString(bytes);
        }
        var report = JsonNode.Parse(await DownloadAsync("sla-report.json"))!;

        // Figures computed here from what was posted.
        var targets = new Dictionary<string, int> { ["business"] = 20, ["evening"] = 30 };
        var byBand = calls.GroupBy(c => BandOf(c.Start)).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var band in new[] { "business", "evening", "saturday", "closed", "overall" })
        {
            var mine = band == "overall" ? calls : byBand.GetValueOrDefault(band, []);
            var answered = mine.Where(c => c.PickupSeconds is not null).ToList();
            var shortAbandoned = mine.Count(c => c.Outcome == "abandoned" && c.DurationSeconds < 5);
            var abandoned = mine.Count(c => c.Outcome == "abandoned" && c.DurationSeconds >= 5);
            var offered = mine.Count - shortAbandoned;
            var pickups = answered.Select(c => c.PickupSeconds!.Value).Order().ToList();
            var figures = band == "overall" ? report["overall"]! : report["bands"]!.AsArray().Single(b => (string?)b!["band"] == band)!;
            Assert.Equal(mine.Count, (int)figures["inbound"]!);
            Assert.Equal(answered.Count, (int)figures["answered"]!);
            Assert.Equal(shortAbandoned, (int)figures["shortAbandoned"]!);
            Assert.Equal(abandoned, (int)figures["abandoned"]!);
            Assert.Equal(mine.Count - answered.Count - shortAbandoned - abandoned, (int)figures["missed"]!);
            Assert.Equal(offered, (int)figures["offered"]!);
            Assert.Equal(Rate(answered.Count, offered), (decimal?)figures["answerRate"]);
            Assert.Equal(pickups.Count == 0 ? null : (decimal)pickups.Sum() / pickups.Count, (decimal?)figures["asaSeconds"]);
            Assert.Equal(pickups.Count == 0 ? null : pickups[(int)Math.Ceiling(0.9 * pickups.Count) - 1], (decimal?)figures["p90PickupSeconds"]);
            var serviceLevel = band != "overall" && targets.TryGetValue(band, out var seconds) ? Rate(pickups.Count(p => p <= seconds), offered) : null;
            Assert.Equal(serviceLevel, (decimal?)figures["serviceLevel"]);
        }
        Assert.Equal(calls.Count, (int)report["calls"]!["inbound"]!);
        Assert.Equal(messages.Length, (int)report["messages"]!["total"]!);
        Assert.Equal(1, (int)report["messages"]!["incomplete"]!);

        // The page: its figures are the JSON's, its charts inline, nothing external, no script.
        var page = await new HtmlParser().ParseDocumentAsync(await DownloadAsync("sla-report.html"));
        var fields = page.QuerySelectorAll("[data-field]").ToList();
        Assert.NotEmpty(fields);
        var compared = 0;
        foreach (var element in fields)
        {
            var path = element.GetAttribute("data-field")!.Split('.');
            JsonNode? expected;
            switch (path)
            {
                case ["bands", var band, var field]:
                    expected = report["bands"]!.AsArray().Single(b => (string?)b!["band"] == band)![field];
                    break;
                case ["days", var date, var field]:
                    expected = report["days"]!.AsArray().Single(d => (string?)d!["date"] == date)![field];
                    break;
                case ["pickupDelays", var from, "count"]:
                    expected = report["pickupDelays"]!.AsArray().Single(d => d!["fromSeconds"]!.ToJsonString() == from)!["count"];
                    break;
                case [var section, var field] when section is "overall" or "calls" or "messages" or "penalties":
                    expected = report[section]![field];
                    break;
                default:
                    continue; // compliance lines, shares and counts by key: the core tests check every hook
            }
            var value = element.GetAttribute("data-value");
            if (expected is null)
            {
                Assert.True(string.IsNullOrEmpty(value), $"{element.GetAttribute("data-field")} shows {value} where the JSON has null");
            }
            else
            {
                Assert.Equal(decimal.Parse(expected.ToJsonString(), CultureInfo.InvariantCulture), decimal.Parse(value!, CultureInfo.InvariantCulture));
            }
            compared++;
        }
        Assert.True(compared >= 40, $"only {compared} figures of the page were compared");
        Assert.True(page.QuerySelectorAll("svg").Length >= 3);
        Assert.Empty(page.QuerySelectorAll("script"));
        Assert.DoesNotContain(page.QuerySelectorAll("[src],[href]"), e =>
            (e.GetAttribute("src") ?? e.GetAttribute("href"))!.Contains("//", StringComparison.Ordinal));
        Assert.Empty(page.QuerySelectorAll("link[rel~=stylesheet]"));

        // The CSV: one row per band and indicator, the JSON's values.
        var csv = (await DownloadAsync("sla-report.csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("band,indicator,value", csv[0], StringComparison.Ordinal);
        var businessAnswerRate = csv.Single(l => l.StartsWith("business,answerRate,", StringComparison.Ordinal)).Split(',')[2];
        Assert.Equal((decimal)report["bands"]!.AsArray().Single(b => (string?)b!["band"] == "business")!["answerRate"]!, decimal.Parse(businessAnswerRate, CultureInfo.InvariantCulture));

        // The list route has it; a link issued 20 minutes ago (by the clock of an earlier request) is refused by storage.
        var all = JsonNode.Parse(await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{clientId}/reports", TestKeys.Auditor))).Content.ReadAsStringAsync())!;
        Assert.Contains(all["reports"]!.AsArray(), r => (string?)r!["period"] == "2026-10" && (bool)r["final"]!);
        var blobs = fixture.Host.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>();
        var old = new BlobDownloadLinks(blobs, new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-20)));
        var (expired, _) = await old.ReadLinkAsync(blobs.GetBlobContainerClient(StorageNames.ReportsContainer).GetBlobClient($"{clientId}/2026-10/sla-report.json"), CancellationToken.None);
        Assert.Equal(HttpStatusCode.Forbidden, (await storage.GetAsync(expired)).StatusCode);
        // The link reads, and only reads.
        using var put = new HttpRequestMessage(HttpMethod.Put, (string)files["sla-report.json"]["url"]!) { Content = new StringContent("{}") };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        Assert.Equal(HttpStatusCode.Forbidden, (await storage.SendAsync(put)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await storage.DeleteAsync((string)files["sla-report.json"]["url"]!)).StatusCode);
    }

    [Fact]
    public async Task LostIndexes_AreRebuiltFromTheStores_ByTheAdminRoute()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, number) = await Seed.ClientAsync(http);
        var starts = new[] { "2026-10-05T07:31:10Z", "2026-10-31T22:59:59Z", "2026-10-31T23:00:00Z" }; // the last is 1 November in Paris
        foreach (var (start, i) in starts.Select((s, i) => (s, i)))
        {
            var call = new JsonObject
            {
                ["provider"] = "pbx", ["callId"] = $"{clientId}-r{i}", ["direction"] = "inbound", ["from"] = "+33612345678", ["to"] = number,
                ["startedAt"] = start, ["endedAt"] = start, ["outcome"] = "missed",
            };
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, call))).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Accepted, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
        {
            ["clientId"] = clientId, ["scenario"] = "resultats", ["caller"] = new JsonObject { ["name"] = "M. Petit", ["phone"] = "+33612345678" },
            ["takenAt"] = "2026-10-06T08:00:00Z",
        }))).StatusCode);
        var tables = fixture.Host.Services.GetRequiredService<Azure.Data.Tables.TableServiceClient>();
        async Task<List<string>> PartitionAsync(string table, string month)
        {
            var keys = new List<string>();
            await foreach (var row in tables.GetTableClient(table).QueryAsync<Azure.Data.Tables.TableEntity>(
                Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey eq {$"{clientId}|{month}"}")))
            {
                keys.Add(row.RowKey);
            }
            return keys;
        }
        var octoberCalls = await PartitionAsync(StorageNames.CallsByMonthTable, "2026-10");
        var novemberCalls = await PartitionAsync(StorageNames.CallsByMonthTable, "2026-11");
        var octoberMessages = await PartitionAsync(StorageNames.MessagesByMonthTable, "2026-10");
        Assert.Equal((2, 1, 1), (octoberCalls.Count, novemberCalls.Count, octoberMessages.Count));

        // Lose them, then rebuild.
        foreach (var (table, month, keys) in new[] { (StorageNames.CallsByMonthTable, "2026-10", octoberCalls), (StorageNames.CallsByMonthTable, "2026-11", novemberCalls), (StorageNames.MessagesByMonthTable, "2026-10", octoberMessages) })
        {
            foreach (var key in keys)
            {
                await tables.GetTableClient(table).DeleteEntityAsync($"{clientId}|{month}", key);
            }
        }
        Assert.Empty(await PartitionAsync(StorageNames.CallsByMonthTable, "2026-10"));
        var rebuilt = await http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/rebuild-indexes?client={clientId}", TestKeys.Admin));
        Assert.Equal(HttpStatusCode.OK, rebuilt.StatusCode);
        var body = JsonNode.Parse(await rebuilt.Content.ReadAsStringAsync())!;
        Assert.Equal((3, 1), ((int)body["calls"]!, (int)body["messages"]!));
        Assert.Equal(octoberCalls.Order(), (await PartitionAsync(StorageNames.CallsByMonthTable, "2026-10")).Order());
        Assert.Equal(novemberCalls, await PartitionAsync(StorageNames.CallsByMonthTable, "2026-11"));
        Assert.Equal(octoberMessages, await PartitionAsync(StorageNames.MessagesByMonthTable, "2026-10"));

        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/admin/jobs/rebuild-indexes?client=no-such-client-000", TestKeys.Admin))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.SendAsync(Api.Request(HttpMethod.Post, "/api/admin/jobs/rebuild-indexes", TestKeys.Admin))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/rebuild-indexes?client={clientId}", TestKeys.Operator))).StatusCode);
    }

    [Fact]
    public async Task BadInput_IsRefusedWithAClearProblem_AndWritesNothing()
    {
        var http = fixture.Host.CreateClient();
        var (clientId, _) = await Seed.ClientAsync(http);
        async Task<HttpStatusCode> RunAsync(string query, string key = TestKeys.Admin) =>
            (await http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/jobs/sla-report{query}", key))).StatusCode;

        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=2026-13"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=../2026-10"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=2026-9"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}"));
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync($"?client={clientId}&period=2026-09")); // before the contract
        Assert.Equal(HttpStatusCode.BadRequest, await RunAsync("?client=Not%20An%20Id&period=2026-10"));
        Assert.Equal(HttpStatusCode.NotFound, await RunAsync("?client=no-such-client-000&period=2026-10"));
        Assert.Equal(HttpStatusCode.Forbidden, await RunAsync($"?client={clientId}&period=2026-10", TestKeys.Operator));
        Assert.Equal(HttpStatusCode.Forbidden, await RunAsync($"?client={clientId}&period=2026-10", TestKeys.Auditor));
        Assert.Equal(HttpStatusCode.Unauthorized, await RunAsync($"?client={clientId}&period=2026-10", "not-a-key"));

        async Task<HttpStatusCode> GetAsync(string path, string key = TestKeys.Auditor) =>
            (await http.SendAsync(Api.Request(HttpMethod.Get, path, key))).StatusCode;
        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync($"/api/clients/{clientId}/reports/2026-1"));
        Assert.Equal(HttpStatusCode.BadRequest, await GetAsync($"/api/clients/{clientId}/reports/..%2F2026-10"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync($"/api/clients/{clientId}/reports/2026-10"));
        Assert.Equal(HttpStatusCode.NotFound, await GetAsync("/api/clients/no-such-client-000/reports"));
        Assert.Equal(HttpStatusCode.Forbidden, await GetAsync($"/api/clients/{clientId}/reports", TestKeys.Operator));

        var reports = fixture.Host.Services.GetRequiredService<Azure.Storage.Blobs.BlobServiceClient>().GetBlobContainerClient(StorageNames.ReportsContainer);
        await foreach (var blob in reports.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, $"{clientId}/", CancellationToken.None))
        {
            Assert.Fail($"a refused request wrote {blob.Name}");
        }
    }
}
