using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Permanence.Core.Offboarding;
using Permanence.Infrastructure.Storage;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Routing;

namespace Permanence.Integration.Tests.Offboarding;

/// <summary>
/// README, "Offboarding and retention", end to end in Standalone: two clients with a month of traffic each; A is
/// offboarded, everything returned is downloaded and verified, a wrong hash deletes nothing, the right one
/// deletes every record of A outside its exports, reports and certificates and leaves B's as they were; A's
/// number can then be claimed, and the certificate verifies until a byte of it changes.
/// </summary>
public sealed partial class OffboardingTests
{
    private const string SigningKey = "test-signing-key-0123456789abcdef0123456789";

    /// <summary>Containers whose content the contract keeps after an offboarding.</summary>
    private static readonly string[] Kept =
        [StorageNames.ReportsContainer, StorageNames.ExportsContainer, StorageNames.OffboardingContainer, StorageNames.CertificatesContainer];

    internal sealed record Traffic(string ClientId, string Number, string Marker);

    /// <summary>A client with calls last month and this month, two messages routed to the outbox, one acknowledged.</summary>
    internal static async Task<Traffic> MonthOfTrafficAsync(RoutingWorld world)
    {
        var configuration = RoutingWorld.Althea();
        var number = (string)configuration["numbers"]![0]!;
        var clientId = await world.PutClientAsync(configuration);
        var marker = $"Durand-{Guid.NewGuid():N}"[..20];
        var now = world.Time.GetUtcNow();
        var paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var monthStart = Instant.FromDateTimeOffset(now).InZone(paris).Date.With(DateAdjusters.StartOfMonth).AtStartOfDayInZone(paris).ToDateTimeOffset();
        var thisMonth = monthStart + (now - monthStart) / 2;
        var lastMonth = monthStart.AddMonths(-1).AddDays(4).AddHours(8);
        var calls = new JsonArray(
            Call(clientId, 1, number, lastMonth, answered: true),
            Call(clientId, 2, number, lastMonth.AddHours(1), answered: false),
            Call(clientId, 3, number, thisMonth, answered: true));
        Assert.Equal(HttpStatusCode.MultiStatus, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, calls))).StatusCode);
        string? urgent = null;
        foreach (var (scenario, takenAt) in new[] { ("urgence", lastMonth.AddMinutes(5)), ("rdv", thisMonth) })
        {
            var response = await world.Http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
            {
                ["clientId"] = clientId,
                ["scenario"] = scenario,
                ["caller"] = new JsonObject { ["name"] = marker, ["phone"] = "06 12 34 56 78" },
                ["fields"] = scenario == "urgence" ? new JsonObject { ["symptoms"] = "douleur thoracique" } : new JsonObject { ["preferredDate"] = "mardi" },
                ["text"] = $"Rappeler {marker}",
                ["takenAt"] = takenAt.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            }));
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            urgent ??= (string)(await response.JsonAsync())["id"]!;
        }
        await world.PumpAsync();
        var outbox = await world.OutboxAsync(clientId, urgent!);
        var token = AckLink().Match(string.Concat(outbox.Values)).Groups[1].Value;
        Assert.NotEmpty(token);
        Assert.Equal(HttpStatusCode.OK, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/acks/{token}", null))).StatusCode);
        return new Traffic(clientId, number, marker);
    }

    [GeneratedRegex(@"/api/acks/([A-Za-z0-9~_\-]+)")]
    private static partial Regex AckLink();

    private static JsonObject Call(string clientId, int n, string number, DateTimeOffset startedAt, bool answered) => new()
    {
        ["provider"] = "pbx",
        ["callId"] = $"{clientId}-{n}",
        ["direction"] = "inbound",
        ["from"] = "+33612345678",
        ["to"] = number,
        ["startedAt"] = Iso(startedAt),
        ["answeredAt"] = answered ? Iso(startedAt.AddSeconds(12)) : null,
        ["endedAt"] = Iso(startedAt.AddMinutes(3)),
        ["outcome"] = answered ? "answered" : "abandoned",
        ["agentId"] = "op-12",
    };

    private static string Iso(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Every row of every table and every blob of every container that holds something of the client: its id, its
    /// number or the caller marker of its messages, in a key, a column, a blob name or a blob's metadata.
    /// </summary>
    internal static async Task<Dictionary<string, int>> FootprintAsync(RoutingWorld world, Traffic client, bool includeKept = false)
    {
        var found = new Dictionary<string, int>(StringComparer.Ordinal);
        bool Holds(string text) =>
            text.Contains(client.ClientId, StringComparison.Ordinal) || text.Contains(client.Number, StringComparison.Ordinal) || text.Contains(client.Marker, StringComparison.Ordinal);
        var tables = world.Services.GetRequiredService<TableServiceClient>();
        var existing = await tables.QueryAsync(cancellationToken: CancellationToken.None).Select(t => t.Name).ToListAsync();
        foreach (var name in StorageNames.Tables.Where(existing.Contains))
        {
            await foreach (var row in tables.GetTableClient(name).QueryAsync<TableEntity>(cancellationToken: CancellationToken.None))
            {
                if (Holds(string.Join('\n', row.Select(p => $"{p.Key}={p.Value}"))))
                {
                    found[name] = found.GetValueOrDefault(name) + 1;
                }
            }
        }
        var blobs = world.Services.GetRequiredService<BlobServiceClient>();
        foreach (var name in StorageNames.Containers.Where(c => includeKept || !Kept.Contains(c)))
        {
            var container = blobs.GetBlobContainerClient(name);
            if (!(await container.ExistsAsync()).Value)
            {
                continue;
            }
            await foreach (var blob in container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, null, CancellationToken.None))
            {
                if (Holds(blob.Name + "\n" + string.Join('\n', blob.Metadata.Values)))
                {
                    found[name] = found.GetValueOrDefault(name) + 1;
                }
            }
        }
        return found;
    }

    private static async Task<JsonObject> ReadyAsync(RoutingWorld world, string statusUrl)
    {
        // The preparation runs in the background on real time: bounded polling, generous for a loaded machine.
        for (var attempt = 0; attempt < 600; attempt++)
        {
            var status = await (await world.Http.SendAsync(Api.Request(HttpMethod.Get, statusUrl, TestKeys.Admin))).JsonAsync();
            if ((string?)status["status"] == "ready")
            {
                return status;
            }
            Assert.Equal("preparing", (string?)status["status"]);
            await Task.Delay(100);
        }
        throw new TimeoutException("The offboarding never became ready.");
    }

    private static Task<HttpResponseMessage> ConfirmAsync(RoutingWorld world, string clientId, string? hash, string key = TestKeys.Admin) =>
        world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/clients/{clientId}/offboard/confirm", key, new JsonObject { ["manifestSha256"] = hash }));

    [Fact]
    public async Task Offboarding_ReturnsEverythingVerifiable_ThenDeletesAllOfTheClientAndNothingOfAnother_AndCertifiesIt()
    {
        // The real clock: download links are checked by storage against its own.
        await using var world = new RoutingWorld(DateTimeOffset.UtcNow.AddSeconds(2));
        var a = await MonthOfTrafficAsync(world);
        var b = await MonthOfTrafficAsync(world);
        var bBefore = await FootprintAsync(world, b);
        var aBefore = await FootprintAsync(world, a);
        foreach (var table in new[] { StorageNames.ContractsTable, StorageNames.NumbersTable, StorageNames.CallsTable, StorageNames.CallsByMonthTable,
                     StorageNames.MessagesTable, StorageNames.MessagesByMonthTable, StorageNames.DeliveriesTable, StorageNames.AcknowledgementsTable, StorageNames.MonthlyJobsTable })
        {
            Assert.True(aBefore.GetValueOrDefault(table) > 0, $"A has nothing in {table} to begin with");
        }
        Assert.True(aBefore.GetValueOrDefault(StorageNames.RawContainer) > 0 && aBefore.GetValueOrDefault(StorageNames.OutboxContainer) > 0);

        // Asked for: 202 and the status URL.
        var requested = await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/clients/{a.ClientId}/offboard", TestKeys.Admin));
        Assert.Equal(HttpStatusCode.Accepted, requested.StatusCode);
        var statusUrl = requested.Headers.Location!.OriginalString;
        Assert.Equal($"/api/admin/clients/{a.ClientId}/offboard", statusUrl);
        var ready = await ReadyAsync(world, statusUrl);
        var hash = (string)ready["manifestSha256"]!;
        Assert.Matches("^[0-9a-f]{64}$", hash);

        // Everything downloaded through the links: the top-level manifest hashes to what the status says, and
        // lists each export's manifest hash; permanence verify passes on every export folder.
        using var storage = new HttpClient();
        async Task<byte[]> DownloadAsync(JsonNode link)
        {
            var response = await storage.GetAsync((string)link["url"]!);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsByteArrayAsync();
        }
        var manifestBytes = await DownloadAsync(ready["manifest"]!);
        Assert.Equal(hash, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)));
        var manifest = JsonNode.Parse(manifestBytes)!;
        var configuration = await DownloadAsync(ready["files"]!.AsArray().Single(f => (string)f!["name"]! == "configuration.json")!);
        Assert.Equal((string)manifest["files"]![0]!["sha256"]!, Convert.ToHexStringLower(SHA256.HashData(configuration)));
        Assert.Contains("\"scenarios\"", Encoding.UTF8.GetString(configuration), StringComparison.Ordinal);
        var exports = ready["exports"]!.AsArray();
        Assert.Equal(manifest["exports"]!.AsArray().Count, exports.Count);
        // Every month from the contract's first (October 2026) closed, and this month closed at the request.
        var paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var current = Instant.FromDateTimeOffset(world.Time.GetUtcNow()).InZone(paris).Date.ToYearMonth();
        Assert.Equal(Period.Between(new LocalDate(2026, 10, 1), current.OnDayOfMonth(1), PeriodUnits.Months).Months + 1, exports.Count);
        Assert.Equal($"{NodaTime.Text.YearMonthPattern.Iso.Format(current)}-partial", (string?)Assert.Single(exports, e => (bool)e!["partial"]!)!["period"]);
        var parent = Directory.CreateTempSubdirectory("permanence-offboarding-").FullName;
        try
        {
            foreach (var export in exports)
            {
                var folder = Path.Combine(parent, (string)export!["period"]!);
                Directory.CreateDirectory(folder);
                foreach (var file in export["files"]!.AsArray())
                {
                    await File.WriteAllBytesAsync(Path.Combine(folder, (string)file!["name"]!), await DownloadAsync(file));
                }
                var listed = manifest["exports"]!.AsArray().Single(e => (string)e!["period"]! == ((string)export["period"]!).Replace("-partial", "", StringComparison.Ordinal) && (bool)e["partial"]! == (bool)export["partial"]!)!;
                Assert.Equal((string)listed["manifestSha256"]!, Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(folder, "manifest.json")))));
                var output = new StringWriter();
                Assert.True(await Permanence.Cli.CommandLine.RunAsync(["verify", folder], output, new StringWriter()) == 0, output.ToString());
                if ((bool)export["partial"]!)
                {
                    var partial = JsonNode.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "manifest.json")))!;
                    Assert.True((bool)partial["final"]! && (bool)partial["partial"]!);
                    Assert.Equal(2, File.ReadAllText(Path.Combine(folder, "calls.csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length); // header + this month's call
                }
            }

            // A wrong hash: 409 and nothing deleted.
            var wrong = await ConfirmAsync(world, a.ClientId, new string('0', 64));
            Assert.Equal(HttpStatusCode.Conflict, wrong.StatusCode);
            var aAfterWrong = await FootprintAsync(world, a);
            Assert.Equal(aBefore.Where(p => p.Key != StorageNames.ExportAccessLogTable && p.Key != StorageNames.OffboardingsTable),
                aAfterWrong.Where(p => p.Key != StorageNames.ExportAccessLogTable && p.Key != StorageNames.OffboardingsTable));

            // The right one: deleted and certified.
            var confirmed = await ConfirmAsync(world, a.ClientId, hash);
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
            var answer = await confirmed.JsonAsync();
            Assert.Equal("closed", (string?)answer["status"]);
            var attested = answer["certificate"]!["certificate"]!;
            Assert.Equal((a.ClientId, "deletion", hash), ((string)attested["clientId"]!, (string)attested["type"]!, (string)attested["manifestSha256"]!));
            Assert.True((long)attested["total"]! > 10);
            Assert.True(attested["stores"]!.AsArray().Single(s => (string)s!["store"]! == "calls")!["count"]!.GetValue<long>() == 3);

            // Nothing of A is left outside its exports, reports and certificates, but its tombstone; B is intact.
            var aAfter = await FootprintAsync(world, a);
            Assert.Equal(new Dictionary<string, int> { [StorageNames.OffboardingsTable] = 1 }, aAfter);
            Assert.Equal(bBefore.Where(p => p.Key != StorageNames.ExportAccessLogTable), (await FootprintAsync(world, b)).Where(p => p.Key != StorageNames.ExportAccessLogTable));
            Assert.True((await FootprintAsync(world, a, includeKept: true)).GetValueOrDefault(StorageNames.ExportsContainer) >= 16);

            // The client is closed: its id cannot be configured again, a second offboarding is refused, its number is free.
            Assert.Equal(HttpStatusCode.NotFound, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{a.ClientId}", TestKeys.Admin))).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/clients/{a.ClientId}/exports", TestKeys.Auditor))).StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, (await world.Http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{a.ClientId}", TestKeys.Admin, RoutingWorld.Althea()))).StatusCode);
            Assert.Equal(HttpStatusCode.Conflict, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/clients/{a.ClientId}/offboard", TestKeys.Admin))).StatusCode);
            var late = await world.Http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
            {
                ["clientId"] = a.ClientId, ["scenario"] = "rdv", ["caller"] = new JsonObject { ["name"] = a.Marker, ["phone"] = "06 12 34 56 78" },
                ["text"] = "après la fin du contrat", ["takenAt"] = Iso(world.Time.GetUtcNow()),
            }));
            Assert.True((int)late.StatusCode is >= 400 and < 500, $"a message for an offboarded client got {(int)late.StatusCode}");
            Assert.Equal(new Dictionary<string, int> { [StorageNames.OffboardingsTable] = 1 }, await FootprintAsync(world, a));
            await world.PutClientAsync(RoutingWorld.Althea(c => c["numbers"] = new JsonArray(a.Number)));

            // A second confirmation answers the same certificate; the status links to it.
            var again = await (await ConfirmAsync(world, a.ClientId, hash)).JsonAsync();
            Assert.Equal(answer["certificate"]!.ToJsonString(), again["certificate"]!.ToJsonString());
            var closed = await (await world.Http.SendAsync(Api.Request(HttpMethod.Get, statusUrl, TestKeys.Admin))).JsonAsync();
            Assert.Equal("closed", (string?)closed["status"]);

            // The certificate, as downloaded, verifies with the signing key, and fails once a byte changes.
            var certificate = await DownloadAsync(closed["certificate"]!);
            var path = Path.Combine(parent, "deletion.json");
            await File.WriteAllBytesAsync(path, certificate);
            // The auditor holds the certificate key the agency derives from its signing key, not the signing key.
            var keyOutput = new StringWriter();
            Assert.Equal(0, await Permanence.Cli.CommandLine.RunAsync(["certificate-key", "--signing-key", SigningKey], keyOutput, new StringWriter()));
            var certificateKey = keyOutput.ToString().Trim();
            Assert.Matches("^[0-9a-f]{64}$", certificateKey);
            var verified = new StringWriter();
            Assert.True(await Permanence.Cli.CommandLine.RunAsync(["verify-certificate", path, "--key", certificateKey], verified, new StringWriter()) == 0, verified.ToString());
            Assert.Equal(0, await Permanence.Cli.CommandLine.RunAsync(["verify-certificate", path, "--signing-key", SigningKey], new StringWriter(), new StringWriter()));
            Assert.Contains($"deletion certificate of client {a.ClientId}", verified.ToString(), StringComparison.Ordinal);
            Assert.Contains($"returned package manifest sha256 {hash}", verified.ToString(), StringComparison.Ordinal);
            var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(certificate).Replace("\"count\": 3", "\"count\": 0", StringComparison.Ordinal));
            Assert.NotEqual(certificate, changed);
            await File.WriteAllBytesAsync(path, changed);
            Assert.Equal(1, await Permanence.Cli.CommandLine.RunAsync(["verify-certificate", path, "--key", certificateKey], new StringWriter(), new StringWriter()));
            await File.WriteAllBytesAsync(path, certificate);
            Assert.Equal(1, await Permanence.Cli.CommandLine.RunAsync(["verify-certificate", path, "--signing-key", "another-key"], new StringWriter(), new StringWriter()));
            // The signing key itself is not a certificate key.
            Assert.Equal(2, await Permanence.Cli.CommandLine.RunAsync(["verify-certificate", path, "--key", SigningKey], new StringWriter(), new StringWriter()));
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Fact]
    public async Task Offboarding_BadInput_IsRefusedAndChangesNothing()
    {
        await using var world = new RoutingWorld(DateTimeOffset.UtcNow.AddSeconds(2));
        var configuration = RoutingWorld.Althea();
        var clientId = await world.PutClientAsync(configuration);
        Task<HttpResponseMessage> Post(string path, string key, JsonObject? body = null) => world.Http.SendAsync(Api.Request(HttpMethod.Post, path, key, body));
        var offboard = $"/api/admin/clients/{clientId}/offboard";

        foreach (var key in new[] { TestKeys.Operator, TestKeys.Auditor })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await Post(offboard, key)).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, offboard, key))).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await ConfirmAsync(world, clientId, new string('a', 64), key)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Post($"/api/admin/clients/{TestEnvironment.NewClientId()}/offboard", TestKeys.Admin)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Post("/api/admin/clients/Not_An_Id/offboard", TestKeys.Admin)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, offboard, TestKeys.Admin))).StatusCode);
        // Confirming what was never asked for.
        Assert.Equal(HttpStatusCode.Conflict, (await ConfirmAsync(world, clientId, new string('a', 64))).StatusCode);
        var store = world.Services.GetRequiredService<IOffboardingStore>();
        Assert.Null(await store.GetAsync(clientId, CancellationToken.None));

        Assert.Equal(HttpStatusCode.Accepted, (await Post(offboard, TestKeys.Admin)).StatusCode);
        var ready = await ReadyAsync(world, offboard);
        foreach (var malformed in new string?[] { null, "", "abc", new string('g', 64), new string('a', 63), new string('a', 65), "../" + new string('a', 61) })
        {
            var response = await ConfirmAsync(world, clientId, malformed);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.True((await response.ProblemAsync())["errors"]!.AsObject().ContainsKey("manifestSha256"));
        }
        Assert.Equal(OffboardingStatus.Ready, (await store.GetAsync(clientId, CancellationToken.None))!.Record.Status);
        // Asking again while ready, nothing new: the same status and hash.
        var same = await Post(offboard, TestKeys.Admin);
        Assert.Equal(HttpStatusCode.Accepted, same.StatusCode);
        Assert.Equal((string)ready["manifestSha256"]!, (string?)(await same.JsonAsync())["manifestSha256"]);

        // A call after the cut: confirming would delete it unreturned, so nothing is deleted; asked again, the
        // offboarding makes a new cut and a new package, and only the new manifest's hash confirms.
        var call = new JsonObject
        {
            ["provider"] = "pbx", ["callId"] = $"{clientId}-late", ["direction"] = "inbound", ["from"] = "+33612345678",
            ["to"] = (string)configuration["numbers"]![0]!, ["startedAt"] = Iso(world.Time.GetUtcNow()), ["endedAt"] = Iso(world.Time.GetUtcNow().AddMinutes(1)),
            ["outcome"] = "abandoned",
        };
        Assert.Equal(HttpStatusCode.OK, (await Post("/api/calls", TestKeys.Operator, call)).StatusCode);
        var stale = await ConfirmAsync(world, clientId, (string)ready["manifestSha256"]!);
        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        Assert.Contains("after the package was cut", (string?)(await stale.ProblemAsync())["detail"], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{clientId}-late", TestKeys.Operator))).StatusCode);
        world.Time.Advance(TimeSpan.FromSeconds(1)); // the test's clock stands still otherwise
        Assert.Equal(HttpStatusCode.Accepted, (await Post(offboard, TestKeys.Admin)).StatusCode);
        var again = await ReadyAsync(world, offboard);
        Assert.NotEqual((string)ready["manifestSha256"]!, (string)again["manifestSha256"]!);
        Assert.Equal("manifest-2.json", (string?)again["manifest"]!["name"]);
        Assert.Contains(again["exports"]!.AsArray(), e => ((string)e!["period"]!).EndsWith("-partial-2", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Conflict, (await ConfirmAsync(world, clientId, (string)ready["manifestSha256"]!)).StatusCode);

        // An upper-case hash is the same hash.
        var confirmed = await ConfirmAsync(world, clientId, ((string)again["manifestSha256"]!).ToUpperInvariant());
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Post(offboard, TestKeys.Admin)).StatusCode);
        // Once closed, a wrong hash is still refused; the right one answers the certificate again.
        Assert.Equal(HttpStatusCode.Conflict, (await ConfirmAsync(world, clientId, new string('b', 64))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await ConfirmAsync(world, clientId, (string)again["manifestSha256"]!)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await world.Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/calls/pbx/{clientId}-late", TestKeys.Operator))).StatusCode);
    }

    [Fact]
    public async Task ABatchBodyNamingTwoClients_IsKeptForTheOther_ThenDeletedWithTheLast()
    {
        await using var world = new RoutingWorld(DateTimeOffset.UtcNow.AddSeconds(2));
        var a = RoutingWorld.Althea();
        var b = RoutingWorld.Althea();
        var clientA = await world.PutClientAsync(a);
        var clientB = await world.PutClientAsync(b);
        var startedAt = world.Time.GetUtcNow().AddHours(-1);
        var batch = new JsonArray(
            Call(clientA, 1, (string)a["numbers"]![0]!, startedAt, answered: true),
            Call(clientB, 1, (string)b["numbers"]![0]!, startedAt, answered: true));
        Assert.Equal(HttpStatusCode.MultiStatus, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, batch))).StatusCode);
        var raw = world.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient(StorageNames.RawContainer);
        async Task<List<BlobItem>> SharedAsync() => await raw.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, "_shared/", CancellationToken.None)
            .Where(blob => blob.Metadata.TryGetValue("clients", out var clients) && (clients.Contains(clientA, StringComparison.Ordinal) || clients.Contains(clientB, StringComparison.Ordinal)))
            .ToListAsync();
        var shared = Assert.Single(await SharedAsync());
        Assert.Equal(string.Join(',', new[] { clientA, clientB }.Order(StringComparer.Ordinal)), shared.Metadata["clients"]);

        async Task<JsonObject> OffboardAsync(string clientId)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await world.Http.SendAsync(Api.Request(HttpMethod.Post, $"/api/admin/clients/{clientId}/offboard", TestKeys.Admin))).StatusCode);
            var ready = await ReadyAsync(world, $"/api/admin/clients/{clientId}/offboard");
            var confirmed = await ConfirmAsync(world, clientId, (string)ready["manifestSha256"]!);
            Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
            return (await confirmed.JsonAsync())["certificate"]!["certificate"]!.AsObject();
        }
        long Count(JsonObject certificate, string store) => (long)certificate["stores"]!.AsArray().Single(s => (string)s!["store"]! == store)!["count"]!;

        // A leaves: the body is B's proof too, so it stays, no longer naming A.
        var first = await OffboardAsync(clientA);
        Assert.Equal(1, Count(first, "rawArchiveSharedKept"));
        shared = Assert.Single(await SharedAsync());
        Assert.Equal(clientB, shared.Metadata["clients"]);
        // B leaves: nobody keeps it any more.
        var second = await OffboardAsync(clientB);
        Assert.Equal(1, Count(second, "rawArchive"));
        Assert.Empty(await SharedAsync());
    }
}
