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
Console.WriteLine($"events per side and round: {options.Events}, concurrency: {options.Concurrency}, rounds: {options.Rounds}, alternating blocks of {options.BlockSize}, host: {options.BaseUrl}");

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

// Azurite slows down as it holds more data, so the two sides alternate in blocks of BlockSize events: both
// see the same store at the same moment, and neither gains from running first.
var rows = new List<(Result Ingestion, Result Direct)>();
for (var round = 1; round <= options.Rounds; round++)
{
    var ingestionEvents = Events(options.Events, number, options.AircallToken, offset: round * 10);
    var directEvents = Events(options.Events, number, options.AircallToken, offset: round * 10 + 5);
    var ingestionBlocks = new List<Result>();
    var directBlocks = new List<Result>();
    for (var from = 0; from < options.Events; from += options.BlockSize)
    {
        var count = Math.Min(options.BlockSize, options.Events - from);
        var swap = (from / options.BlockSize) % 2 == 1; // alternate which side goes first
        if (!swap)
        {
            ingestionBlocks.Add(await RunAsync(null, Slice(ingestionEvents, from, count), e => PostAsync(http, e), options.Concurrency));
        }
        directBlocks.Add(await RunAsync(null, Slice(directEvents, from, count), e => DirectAsync(benchTable, benchContainer, e), options.Concurrency));
        if (swap)
        {
            ingestionBlocks.Add(await RunAsync(null, Slice(ingestionEvents, from, count), e => PostAsync(http, e), options.Concurrency));
        }
    }
    var ingestion = Result.Combine(ingestionBlocks);
    var direct = Result.Combine(directBlocks);
    Console.WriteLine($"round {round} ingestion  {ingestion}");
    Console.WriteLine($"round {round} direct SDK {direct}");
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
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"seeding failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
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
            if (events.Count == count)
            {
                break;
            }
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
            events.Add(new BenchEvent(id.ToString(), Encoding.UTF8.GetBytes(body), start + offset, answered, ended));
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

// What ingestion does in storage for one event: archive the raw body (written once), read the call row, write it back if changed.
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
        // The same read-merge-write as ingestion: earliest start/answer, latest end, no write when nothing changes.
        var existing = await table.GetEntityIfExistsAsync<TableEntity>(key, "call");
        var current = existing.HasValue ? existing.Value! : null;
        long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
        long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
        var started = Min(current?.GetInt64("StartedAt"), e.StartedAt);
        var answered = Min(current?.GetInt64("AnsweredAt"), e.AnsweredAt);
        var ended = Max(current?.GetInt64("EndedAt"), e.EndedAt);
        if (current is not null && current.GetInt64("StartedAt") == started && current.GetInt64("AnsweredAt") == answered && current.GetInt64("EndedAt") == ended)
        {
            return true;
        }
        var entity = new TableEntity(key, "call") { ["StartedAt"] = started, ["AnsweredAt"] = answered, ["EndedAt"] = ended, ["ClientId"] = "bench" };
        try
        {
            if (current is not null)
            {
                await table.UpdateEntityAsync(entity, current.ETag, TableUpdateMode.Replace);
            }
            else
            {
                await table.AddEntityAsync(entity);
            }
            return true;
        }
        catch (RequestFailedException x) when (x.Status is 409 or 412) { }
    }
    return false;
}

static IReadOnlyList<BenchEvent> Slice(IReadOnlyList<BenchEvent> events, int from, int count) => events.Skip(from).Take(count).ToList();

static async Task<Result> RunAsync(string? label, IReadOnlyList<BenchEvent> events, Func<BenchEvent, Task<bool>> send, int concurrency)
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
            if (!ok)
            {
                Interlocked.Increment(ref failures);
            }
        }
    });
    await Task.WhenAll(workers);
    total.Stop();
    var result = new Result(total.Elapsed, latencies, failures);
    if (label is not null)
    {
        Console.WriteLine($"{label,-22} {result}");
    }
    return result;
}

internal sealed record BenchEvent(string CallId, byte[] Body, long StartedAt, long? AnsweredAt, long? EndedAt);

internal sealed record Result(TimeSpan Elapsed, double[] Latencies, int Failures)
{
    private double[] Sorted { get; } = Latencies.Order().ToArray();
    public double EventsPerSecond => Latencies.Length / Elapsed.TotalSeconds;
    public double P50 => Percentile(0.50);
    public double P99 => Percentile(0.99);

    // Nearest rank.
    private double Percentile(double p) => Sorted.Length == 0 ? double.NaN : Sorted[Math.Clamp((int)Math.Ceiling(p * Sorted.Length) - 1, 0, Sorted.Length - 1)];

    public static Result Combine(IEnumerable<Result> blocks)
    {
        var list = blocks.ToList();
        return new Result(TimeSpan.FromTicks(list.Sum(b => b.Elapsed.Ticks)), list.SelectMany(b => b.Latencies).ToArray(), list.Sum(b => b.Failures));
    }

    public override string ToString() => $"{EventsPerSecond,8:F0} ev/s  p50 {P50,7:F1} ms  p99 {P99,7:F1} ms  failures {Failures}";
}

internal sealed record Args(string BaseUrl, string Storage, int Events, int Concurrency, int Rounds, int BlockSize, string AdminKey, string AircallToken)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, $"--{name}");
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"--{name} is required");
        }
        return new Args(Get("base-url"), Get("storage"), int.Parse(Get("events", "20000")), int.Parse(Get("concurrency", "32")), int.Parse(Get("rounds", "3")), int.Parse(Get("block", "1000")),
            Get("admin-key", "dev-admin-key-0000000000000000"), Get("aircall-token", "dev-aircall-token"));
    }
}
