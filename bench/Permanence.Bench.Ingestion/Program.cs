// Ingestion benchmark (issue 3): Aircall events posted to a running Permanence.Standalone at a fixed
// concurrency, beside the same storage operations issued directly through the Azure SDK at the same
// concurrency, alternating phases in one run. Prints events/s, p50/p99 latency and the ratio per round and
// the medians. Bounded: a fixed number of events per phase, loopback only.
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

var options = Args.Parse(args);
Console.WriteLine($"events per phase: {options.Events}, concurrency: {options.Concurrency}, rounds: {options.Rounds}, host: {options.BaseUrl}");

using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2 }) { BaseAddress = new Uri(options.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
var clientId = $"bench-{Guid.NewGuid():N}"[..20];
var number = $"+33187{Random.Shared.Next(0, 1_000_000):D6}";
await SeedClientAsync(http, clientId, number, options.AdminKey);

var tables = new TableServiceClient(options.Storage);
var benchTable = tables.GetTableClient("BenchCalls");
await benchTable.CreateIfNotExistsAsync();
var benchContainer = new BlobServiceClient(options.Storage).GetBlobContainerClient("bench-raw");
await benchContainer.CreateIfNotExistsAsync();

// Warm-up: connections, JIT and the client cache on both sides.
await RunAsync("warm-up", Events(500, number, options.AircallToken, offset: 0), e => PostAsync(http, e), options.Concurrency);
await RunAsync("warm-up", Events(500, number, options.AircallToken, offset: 1), e => DirectAsync(benchTable, benchContainer, e), options.Concurrency);

var rows = new List<(Result Ingestion, Result Direct)>();
for (var round = 1; round <= options.Rounds; round++)
{
    var ingestion = await RunAsync($"round {round} ingestion", Events(options.Events, number, options.AircallToken, offset: round * 10), e => PostAsync(http, e), options.Concurrency);
    var direct = await RunAsync($"round {round} direct SDK", Events(options.Events, number, options.AircallToken, offset: round * 10 + 5), e => DirectAsync(benchTable, benchContainer, e), options.Concurrency);
    rows.Add((ingestion, direct));
    Console.WriteLine($"round {round}: ratio ingestion/direct = {ingestion.EventsPerSecond / direct.EventsPerSecond:F2}");
}

Console.WriteLine();
Console.WriteLine("| round | ingestion ev/s | p50 ms | p99 ms | direct ev/s | p50 ms | p99 ms | ratio |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
for (var i = 0; i < rows.Count; i++)
{
    var (a, b) = rows[i];
    Console.WriteLine($"| {i + 1} | {a.EventsPerSecond:F0} | {a.P50:F1} | {a.P99:F1} | {b.EventsPerSecond:F0} | {b.P50:F1} | {b.P99:F1} | {a.EventsPerSecond / b.EventsPerSecond:F2} |");
}
static double Median(IEnumerable<double> values) { var v = values.OrderBy(x => x).ToArray(); return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2; }
Console.WriteLine($"| median | {Median(rows.Select(r => r.Ingestion.EventsPerSecond)):F0} | {Median(rows.Select(r => r.Ingestion.P50)):F1} | {Median(rows.Select(r => r.Ingestion.P99)):F1} | {Median(rows.Select(r => r.Direct.EventsPerSecond)):F0} | {Median(rows.Select(r => r.Direct.P50)):F1} | {Median(rows.Select(r => r.Direct.P99)):F1} | {Median(rows.Select(r => r.Ingestion.EventsPerSecond / r.Direct.EventsPerSecond)):F2} |");
var failures = rows.Sum(r => r.Ingestion.Failures + r.Direct.Failures);
Console.WriteLine($"failed requests: {failures}");
return failures == 0 ? 0 : 1;

static async Task SeedClientAsync(HttpClient http, string clientId, string number, string adminKey)
{
    var sample = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "althea.json")))!.AsObject();
    sample["numbers"] = new JsonArray(number);
    using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/clients/{clientId}") { Content = new StringContent(sample.ToJsonString(), Encoding.UTF8, "application/json") };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"seeding failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
}

// 4 events per call: created, answered, hungup, ended.
static IReadOnlyList<BenchEvent> Events(int count, string number, string token, int offset)
{
    var events = new List<BenchEvent>(count);
    var baseId = Random.Shared.NextInt64(1, long.MaxValue / 2);
    const long start = 1791183000;
    string[] kinds = ["call.created", "call.answered", "call.hungup", "call.ended"];
    for (var i = 0; events.Count < count; i++)
    {
        var id = baseId + i;
        foreach (var kind in kinds)
        {
            if (events.Count == count) break;
            var answered = kind == "call.created" ? (long?)null : start + 7;
            var ended = kind is "call.hungup" or "call.ended" ? start + 120 : (long?)null;
            var body = new JsonObject
            {
                ["resource"] = "call", ["event"] = kind, ["timestamp"] = ended ?? answered ?? start, ["token"] = token,
                ["data"] = new JsonObject
                {
                    ["id"] = id, ["direction"] = "inbound", ["started_at"] = start + offset, ["answered_at"] = answered, ["ended_at"] = ended,
                    ["raw_digits"] = "+33 6 12 34 56 78", ["number"] = new JsonObject { ["digits"] = number }, ["user"] = new JsonObject { ["id"] = 7 },
                },
            }.ToJsonString();
            events.Add(new BenchEvent(id.ToString(), Encoding.UTF8.GetBytes(body)));
        }
    }
    return events;
}

static async Task<bool> PostAsync(HttpClient http, BenchEvent e)
{
    using var content = new ByteArrayContent(e.Body);
    content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    using var response = await http.PostAsync("/api/telephony/aircall", content);
    return response.IsSuccessStatusCode;
}

// What ingestion does in storage for one event: archive the raw body (written once), read the call row, write it back.
static async Task<bool> DirectAsync(TableClient table, BlobContainerClient container, BenchEvent e)
{
    var digest = Convert.ToHexStringLower(SHA256.HashData(e.Body));
    try
    {
        await container.GetBlobClient($"aircall/{digest}.json").UploadAsync(BinaryData.FromBytes(e.Body),
            new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All }, HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" } });
    }
    catch (RequestFailedException x) when (x.Status == 409) { }
    var key = $"aircall:{e.CallId}";
    for (var attempt = 0; attempt < 10; attempt++)
    {
        var existing = await table.GetEntityIfExistsAsync<TableEntity>(key, "call");
        var entity = new TableEntity(key, "call") { ["Events"] = (existing.HasValue ? existing.Value!.GetInt32("Events") ?? 0 : 0) + 1, ["ClientId"] = "bench" };
        try
        {
            if (existing.HasValue) await table.UpdateEntityAsync(entity, existing.Value!.ETag, TableUpdateMode.Replace);
            else await table.AddEntityAsync(entity);
            return true;
        }
        catch (RequestFailedException x) when (x.Status is 409 or 412) { }
    }
    return false;
}

static async Task<Result> RunAsync(string label, IReadOnlyList<BenchEvent> events, Func<BenchEvent, Task<bool>> send, int concurrency)
{
    var latencies = new double[events.Count];
    var failures = 0;
    var next = -1;
    var total = Stopwatch.StartNew();
    var workers = Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < events.Count)
        {
            var started = Stopwatch.GetTimestamp();
            bool ok;
            try { ok = await send(events[i]); } catch (Exception) { ok = false; }
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (!ok) Interlocked.Increment(ref failures);
        }
    });
    await Task.WhenAll(workers);
    total.Stop();
    Array.Sort(latencies);
    var result = new Result(events.Count / total.Elapsed.TotalSeconds, latencies[(int)(latencies.Length * 0.5)], latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(latencies.Length * 0.99) - 1)], failures);
    Console.WriteLine($"{label,-22} {result.EventsPerSecond,8:F0} ev/s  p50 {result.P50,7:F1} ms  p99 {result.P99,7:F1} ms  failures {failures}");
    return result;
}

internal sealed record BenchEvent(string CallId, byte[] Body);

internal sealed record Result(double EventsPerSecond, double P50, double P99, int Failures);

internal sealed record Args(string BaseUrl, string Storage, int Events, int Concurrency, int Rounds, string AdminKey, string AircallToken)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, $"--{name}");
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"--{name} is required");
        }
        return new Args(Get("base-url"), Get("storage"), int.Parse(Get("events", "20000")), int.Parse(Get("concurrency", "32")), int.Parse(Get("rounds", "3")),
            Get("admin-key", "dev-admin-key-0000000000000000"), Get("aircall-token", "dev-aircall-token"));
    }
}
