// Routing benchmark: messages posted to a running Permanence.Standalone at a fixed concurrency and routed by its
// worker to one contact's signed webhook, received and verified here; beside it, the floor: as many "enqueue →
// dequeue → signed POST" through the SDKs with no routing logic, alternating phases in one run. Prints p50/p99
// latency (answer of POST /messages, or end of the enqueue, → verified webhook), messages/s and the p50 ratio
// per round, the medians and the goal. Bounded: a fixed number of messages per phase, a bounded wait for
// deliveries, loopback only.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

var options = Args.Parse(args);
Console.WriteLine($"messages per phase and round: {options.Messages}, concurrency: {options.Concurrency}, rounds: {options.Rounds}, delivery timeout: {options.TimeoutSeconds} s, host: {options.BaseUrl}");

var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
await using var receiver = await Receiver.StartAsync(secret);

using var api = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency * 2 }) { BaseAddress = new Uri(options.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
var clientId = $"bench-{Guid.NewGuid():N}"[..20];
await SeedClientAsync(api, clientId, receiver.Url("routing"), secret, options.AdminKey);

var floorQueue = new QueueClient(options.Storage, "bench-floor");
await floorQueue.CreateIfNotExistsAsync();
await floorQueue.ClearMessagesAsync();
// Like the Standalone webhook client: no proxy, no redirects, 10 s timeout.
using var floorHttp = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
{
    Timeout = TimeSpan.FromSeconds(10),
};
using var stop = new CancellationTokenSource();
// Consumes for the whole run, as the Standalone worker does: both are equally backed off when a phase starts.
var consumer = new FloorConsumer(floorQueue, floorHttp, receiver.Url("floor"), secret);
var consuming = Task.Run(() => consumer.RunAsync(stop.Token));

Task<string?> PostMessageAsync(int i) => PostAsync(api, clientId, options.OperatorKey, i);
Task<string?> EnqueueAsync(int i) => EnqueueFloorAsync(floorQueue);
var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);

// Warm-up: connections, JIT, the client cache and table creation on both sides.
var warmUp = Math.Min(100, options.Messages);

var firstRouting = await RunPhaseAsync(warmUp, options.Concurrency, PostMessageAsync, receiver, timeout);
Console.WriteLine($"warm-up routing {firstRouting}");
var firstFloor = await RunPhaseAsync(warmUp, options.Concurrency, EnqueueAsync, receiver, timeout);
Console.WriteLine($"warm-up floor   {firstFloor}");
if (firstRouting.Delivered == 0 || firstFloor.Delivered == 0)
{
    // A path that delivers nothing would only make every round wait out its timeout.
    Console.WriteLine($"nothing delivered in the warm-up: stopped (bad signatures: {receiver.BadSignatures}, floor consumer errors: {consumer.Errors})");
    return 1;
}

var rows = new List<(Phase Routing, Phase Floor)>();
for (var round = 1; round <= options.Rounds; round++)
{
    // Alternating which side goes first: neither gains from a fresher store or a warmer host.
    Phase routing, floor;
    if (round % 2 == 1)
    {
        routing = await RunPhaseAsync(options.Messages, options.Concurrency, PostMessageAsync, receiver, timeout);
        floor = await RunPhaseAsync(options.Messages, options.Concurrency, EnqueueAsync, receiver, timeout);
    }
    else
    {
        floor = await RunPhaseAsync(options.Messages, options.Concurrency, EnqueueAsync, receiver, timeout);
        routing = await RunPhaseAsync(options.Messages, options.Concurrency, PostMessageAsync, receiver, timeout);
    }
    Console.WriteLine($"round {round} routing {routing}");
    Console.WriteLine($"round {round} floor   {floor}");
    Console.WriteLine($"round {round}: ratio routing/floor p50 = {Ratio(routing, floor):F2}");
    // After both phases, outside their measurement: where a routed message's time went, from the host's own records.
    Console.WriteLine($"round {round} routing by send order: {ByTenths(routing)}");
    Console.WriteLine($"round {round} routing breakdown: {await BreakdownAsync(api, options.OperatorKey, routing, receiver, options.Concurrency)}");
    rows.Add((routing, floor));
}

await stop.CancelAsync();
await consuming;

Console.WriteLine();
Console.WriteLine("| round | routing msg/s | p50 ms | p99 ms | floor msg/s | p50 ms | p99 ms | ratio p50 |");
Console.WriteLine("|---|---|---|---|---|---|---|---|");
for (var i = 0; i < rows.Count; i++)
{
    var (a, b) = rows[i];
    Console.WriteLine($"| {i + 1} | {a.MessagesPerSecond:F0} | {Ms(a.P50)} | {Ms(a.P99)} | {b.MessagesPerSecond:F0} | {Ms(b.P50)} | {Ms(b.P99)} | {Ratio(a, b):F2} |");
}
var routingP50 = Median(rows.Select(r => r.Routing.P50));
var routingP99 = Median(rows.Select(r => r.Routing.P99));
var floorP50 = Median(rows.Select(r => r.Floor.P50));
var ratio = Median(rows.Select(r => Ratio(r.Routing, r.Floor)));
Console.WriteLine($"| median | {Median(rows.Select(r => r.Routing.MessagesPerSecond)):F0} | {Ms(routingP50)} | {Ms(routingP99)} | {Median(rows.Select(r => r.Floor.MessagesPerSecond)):F0} | {Ms(floorP50)} | {Ms(Median(rows.Select(r => r.Floor.P99)))} | {ratio:F2} |");
Console.WriteLine();
Console.WriteLine($"goal, on the medians: routing p99 < 2 s: {Ms(routingP99, " ms")} → {(routingP99 < 2000 ? "met" : "not met")}");
Console.WriteLine($"goal, on the medians: routing p50 within 2× of the floor: {Ms(routingP50, " ms")} vs {Ms(floorP50, " ms")}, ratio {ratio:F2} → {(ratio <= 2 ? "met" : "not met")}");
var undelivered = rows.Sum(r => r.Routing.Count - r.Routing.Delivered + r.Floor.Count - r.Floor.Delivered);
Console.WriteLine($"undelivered: {undelivered}, failed sends: {rows.Sum(r => r.Routing.SendFailures + r.Floor.SendFailures)}, bad signatures: {receiver.BadSignatures}, duplicate deliveries: {receiver.Duplicates}, floor consumer errors: {consumer.Errors}");
return undelivered == 0 && receiver.BadSignatures == 0 ? 0 : 1;

static double Ratio(Phase routing, Phase floor) => routing.P50 / floor.P50;

static double Median(IEnumerable<double> values)
{
    var v = values.OrderBy(x => x).ToArray();
    return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
}

// Undelivered messages count as infinitely late: a percentile they reach says so instead of a number.
static string Ms(double value, string unit = "") => double.IsPositiveInfinity(value) ? "timed out" : value.ToString("F1", CultureInfo.InvariantCulture) + unit;

static async Task SeedClientAsync(HttpClient http, string clientId, Uri hook, string secret, string adminKey)
{
    // The sample, reduced to one contact reached by webhook only, for every priority; in force since yesterday.
    var config = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "althea.json")))!.AsObject();
    config["name"] = "Routing benchmark";
    config["effectiveFrom"] = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    config["numbers"] = new JsonArray();
    config["contacts"] = new JsonArray(new JsonObject
    {
        ["id"] = "receiver", ["name"] = "Benchmark receiver",
        ["webhook"] = new JsonObject { ["url"] = hook.ToString(), ["secret"] = secret },
    });
    config.Remove("onCall");
    config.Remove("keywords");
    config["scenarios"] = new JsonArray(new JsonObject
    {
        ["id"] = "bench", ["label"] = "Benchmark", ["priority"] = "important", ["requiredFields"] = new JsonArray("callerName", "callerPhone"),
    });
    JsonObject Policy() => new() { ["steps"] = new JsonArray(new JsonObject { ["notify"] = new JsonArray("receiver"), ["channels"] = new JsonArray("webhook") }) };
    config["escalation"] = new JsonObject { ["unknownScenarioPriority"] = "important", ["standard"] = Policy(), ["important"] = Policy(), ["critical"] = Policy() };
    config["reportRecipients"] = new JsonArray();
    using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/clients/{clientId}") { Content = new StringContent(config.ToJsonString(), Encoding.UTF8, "application/json") };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"seeding failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}

static async Task<string?> PostAsync(HttpClient http, string clientId, string operatorKey, int i)
{
    var body = new JsonObject
    {
        ["clientId"] = clientId, ["scenario"] = "bench",
        ["takenAt"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "+33612345678" },
        ["text"] = $"Rappeler pour les résultats (benchmark {i})",
    }.ToJsonString();
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
    using var response = await http.SendAsync(request);
    if (response.StatusCode != HttpStatusCode.Accepted)
    {
        return null;
    }
    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    return json.RootElement.GetProperty("id").GetString();
}

static async Task<string?> EnqueueFloorAsync(QueueClient queue)
{
    var id = $"floor-{Guid.NewGuid():N}";
    await queue.SendMessageAsync(new JsonObject { ["id"] = id }.ToJsonString());
    return id;
}

// Sends count messages from `concurrency` loops, then waits (bounded) until the receiver has them all.
static async Task<Phase> RunPhaseAsync(int count, int concurrency, Func<int, Task<string?>> send, Receiver receiver, TimeSpan timeout)
{
    var ids = new string?[count];
    var done = new long[count];
    var sendMs = new double[count];
    var failures = 0;
    var next = -1;
    var start = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
    {
        int i;
        while ((i = Interlocked.Increment(ref next)) < count)
        {
            var started = Stopwatch.GetTimestamp();
            string? id;
            try { id = await send(i); } catch (Exception) { id = null; }
            done[i] = Stopwatch.GetTimestamp();
            sendMs[i] = Stopwatch.GetElapsedTime(started, done[i]).TotalMilliseconds;
            ids[i] = id;
            if (id is null)
            {
                Interlocked.Increment(ref failures);
            }
        }
    }));
    var waiting = ids.Where(id => id is not null).Select(id => id!).ToHashSet(StringComparer.Ordinal);
    var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
    while (waiting.Count > 0 && Stopwatch.GetTimestamp() < deadline)
    {
        waiting.RemoveWhere(receiver.Receipts.ContainsKey);
        if (waiting.Count > 0)
        {
            await Task.Delay(10);
        }
    }
    waiting.RemoveWhere(receiver.Receipts.ContainsKey);
    var latencies = new double[count];
    var last = start;
    for (var i = 0; i < count; i++)
    {
        if (ids[i] is { } id && receiver.Receipts.TryGetValue(id, out var receivedAt))
        {
            latencies[i] = Stopwatch.GetElapsedTime(done[i], receivedAt).TotalMilliseconds;
            last = Math.Max(last, receivedAt);
        }
        else
        {
            latencies[i] = double.PositiveInfinity;
        }
    }
    var delivered = latencies.Count(double.IsFinite);
    var wall = Stopwatch.GetElapsedTime(start, delivered > 0 ? last : Stopwatch.GetTimestamp());
    return new Phase(count, delivered, failures, latencies, sendMs, ids, done, wall);
}

// Server-side timestamps of a sample of the phase's messages (GET /messages/{id}), beside the bench's own clock
// (same machine, same clock): how long each leg took, median and p90 in ms.
static async Task<string> BreakdownAsync(HttpClient http, string operatorKey, Phase phase, Receiver receiver, int concurrency)
{
    var delivered = Enumerable.Range(0, phase.Count).Where(i => double.IsFinite(phase.Latencies[i])).ToList();
    if (delivered.Count == 0)
    {
        return "nothing delivered";
    }
    var sample = Enumerable.Range(0, Math.Min(100, delivered.Count)).Select(k => delivered[k * delivered.Count / Math.Min(100, delivered.Count)]).ToList();
    var legs = new ConcurrentBag<double[]>();
    await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, cancellationToken) =>
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/messages/{phase.Ids[i]}");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorKey);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return;
        }
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var root = json.RootElement;
        var steps = root.GetProperty("escalation").EnumerateArray().Where(s => s.GetProperty("step").GetInt32() == 0).ToList();
        var attempts = root.GetProperty("deliveries").EnumerateArray().Where(d => d.GetProperty("step").GetInt32() == 0 && d.GetProperty("status").GetString() == "sent").ToList();
        if (steps.Count == 0 || attempts.Count == 0)
        {
            return;
        }
        static DateTimeOffset At(JsonElement e, string name) => DateTimeOffset.Parse(e.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);
        var received = At(root, "receivedAt");
        var answered = Clock.Utc(phase.Done[i]);
        var stepStarted = At(steps[0], "startedAt");
        var intent = At(attempts[0], "createdAt");
        var verified = Clock.Utc(receiver.Receipts[phase.Ids[i]!]);
        var recorded = At(attempts[0], "sentAt");
        legs.Add([
            (answered - received).TotalMilliseconds,
            (stepStarted - answered).TotalMilliseconds,
            (intent - stepStarted).TotalMilliseconds,
            (verified - intent).TotalMilliseconds,
            (recorded - verified).TotalMilliseconds,
        ]);
    });
    if (legs.IsEmpty)
    {
        return "no record read";
    }
    string Leg(int k, string label)
    {
        var values = legs.Select(l => l[k]).Order().ToArray();
        return $"{label} {values[values.Length / 2]:F0}/{values[Math.Min(values.Length - 1, (int)Math.Ceiling(0.9 * values.Length) - 1)]:F0}";
    }
    return $"{legs.Count} messages, median/p90 ms: POST sent→answered {Percentile(phase.SendMs, 0.5):F0}/{Percentile(phase.SendMs, 0.9):F0} " +
        $"({Leg(0, "of which receivedAt→answered")}) | {Leg(1, "answered→step 0 started")} | {Leg(2, "step started→attempt intent")} | " +
        $"{Leg(3, "intent→webhook verified")} | {Leg(4, "verified→sent recorded")}";
}

// Latency by send order: flat when a backlog built at the start persists, rising when the queue keeps growing.
static string ByTenths(Phase phase)
{
    string Tenth(int k)
    {
        var p50 = Percentile(phase.Latencies.Skip(k * phase.Count / 10).Take(Math.Max(1, phase.Count / 10)).ToArray(), 0.5);
        return double.IsPositiveInfinity(p50) ? "timed out" : p50.ToString("F0", CultureInfo.InvariantCulture);
    }
    return $"latency p50 of the first, fifth and last tenth of sends {Tenth(0)}/{Tenth(4)}/{Tenth(9)} ms";
}

// Nearest rank.
static double Percentile(double[] values, double p)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal sealed record Phase(int Count, int Delivered, int SendFailures, double[] Latencies, double[] SendMs, string?[] Ids, long[] Done, TimeSpan Wall)
{
    private double[] Sorted { get; } = Latencies.Order().ToArray();
    public double MessagesPerSecond => Delivered / Wall.TotalSeconds;
    public double P50 => Percentile(0.50);
    public double P99 => Percentile(0.99);

    // Nearest rank, undelivered ones last (infinite).
    private double Percentile(double p) => Sorted[Math.Clamp((int)Math.Ceiling(p * Sorted.Length) - 1, 0, Sorted.Length - 1)];

    public override string ToString()
    {
        var line = $"{MessagesPerSecond,6:F0} msg/s  p50 {Fmt(P50)}  p99 {Fmt(P99)}  ({Delivered} of {Count} delivered in {Wall.TotalSeconds:F1} s, send p50 {SendMs.Order().ElementAt(SendMs.Length / 2):F1} ms)";
        return Delivered < Count ? $"{line}  timed out: {Delivered} of {Count} delivered{(SendFailures > 0 ? $", {SendFailures} sends failed" : "")}" : line;
    }

    private static string Fmt(double value) => double.IsPositiveInfinity(value) ? "timed out".PadLeft(10) : (value.ToString("F1", CultureInfo.InvariantCulture) + " ms").PadLeft(10);
}

/// <summary>Stopwatch timestamps as UTC instants, to set them beside the host's records.</summary>
internal static class Clock
{
    private static readonly DateTimeOffset AnchorUtc = DateTimeOffset.UtcNow;
    private static readonly long AnchorTimestamp = Stopwatch.GetTimestamp();

    public static DateTimeOffset Utc(long timestamp) => AnchorUtc + Stopwatch.GetElapsedTime(AnchorTimestamp, timestamp);
}

/// <summary>
/// The contact's system: Kestrel on 127.0.0.1, a free port. Verifies every delivery with the StandardWebhooks
/// library on the raw body, then records when it arrived by the message id of its JSON body.
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private readonly string _secret;
    private WebApplication? _app;
    private Uri? _baseUrl;
    private int _badSignatures;
    private int _duplicates;

    private Receiver(string secret) => _secret = secret;

    public ConcurrentDictionary<string, long> Receipts { get; } = new(StringComparer.Ordinal);
    public int BadSignatures => Volatile.Read(ref _badSignatures);
    public int Duplicates => Volatile.Read(ref _duplicates);

    public Uri Url(string phase) => new(_baseUrl!, $"/hooks/{phase}");

    public static async Task<Receiver> StartAsync(string secret)
    {
        var receiver = new Receiver(secret);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.MapPost("/hooks/{phase}", receiver.ReceiveAsync);
        await app.StartAsync();
        receiver._app = app;
        receiver._baseUrl = new Uri(app.Urls.Single());
        return receiver;
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        try
        {
            new StandardWebhook(_secret).Verify(body, context.Request.Headers);
        }
        catch (WebhookVerificationException)
        {
            Interlocked.Increment(ref _badSignatures);
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        var verifiedAt = Stopwatch.GetTimestamp();
        using var json = JsonDocument.Parse(body);
        if (!Receipts.TryAdd(json.RootElement.GetProperty("id").GetString()!, verifiedAt))
        {
            Interlocked.Increment(ref _duplicates);
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

/// <summary>
/// The floor's consumer, shaped as src/Permanence.Standalone/Workers/RoutingQueueWorker.cs: batches of up to 32,
/// 16 handled side by side, the next receive once the batch is done, idle polls backing off from 25 ms to 1 s; a
/// message is deleted after its signed POST was answered 2xx. What it leaves out is the routing itself.
/// </summary>
internal sealed class FloorConsumer(QueueClient queue, HttpClient http, Uri hook, string secret)
{
    private const int BatchSize = 32;
    private const int Concurrency = 16;
    private static readonly TimeSpan FirstIdleDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxIdleDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Visibility = TimeSpan.FromMinutes(5);

    private int _errors;

    public int Errors => Volatile.Read(ref _errors);

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var idle = FirstIdleDelay;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                QueueMessage[] batch = (await queue.ReceiveMessagesAsync(BatchSize, Visibility, stoppingToken)).Value;
                if (batch.Length == 0)
                {
                    await Task.Delay(idle, stoppingToken);
                    idle = idle * 2 > MaxIdleDelay ? MaxIdleDelay : idle * 2;
                    continue;
                }
                idle = FirstIdleDelay;
                await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = stoppingToken },
                    (message, cancellationToken) => new ValueTask(HandleAsync(message, cancellationToken)));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            using var command = JsonDocument.Parse(message.Body.ToMemory());
            var id = command.RootElement.GetProperty("id").GetString()!;
            var body = new JsonObject { ["type"] = "bench.floor", ["id"] = id }.ToJsonString();
            var webhookId = $"msg_{id}";
            var sentAt = DateTimeOffset.UtcNow;
            using var request = new HttpRequestMessage(HttpMethod.Post, hook) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", webhookId);
            request.Headers.Add("webhook-timestamp", sentAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", new StandardWebhook(secret).Sign(webhookId, sentAt, body));
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
            }
            else
            {
                Interlocked.Increment(ref _errors);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Left on the queue: it would come back after its visibility, later than any phase waits.
            Interlocked.Increment(ref _errors);
        }
    }
}

internal sealed record Args(string BaseUrl, string Storage, int Messages, int Concurrency, int Rounds, int TimeoutSeconds, string AdminKey, string OperatorKey)
{
    public static Args Parse(string[] args)
    {
        string Get(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, $"--{name}");
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"--{name} is required");
        }
        return new Args(Get("base-url"), Get("storage"), int.Parse(Get("messages", "1000"), CultureInfo.InvariantCulture), int.Parse(Get("concurrency", "16"), CultureInfo.InvariantCulture),
            int.Parse(Get("rounds", "3"), CultureInfo.InvariantCulture), int.Parse(Get("timeout", "60"), CultureInfo.InvariantCulture),
            Get("admin-key", "dev-admin-key-0000000000000000"), Get("operator-key", "dev-operator-key-00000000000000"));
    }
}
