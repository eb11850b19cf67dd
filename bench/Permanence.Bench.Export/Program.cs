// Reversibility export benchmark (README, "Export benchmark"): ExportJob.RunAsync over one client's closed month
// of --calls calls (1,000,000 by default, among --other-clients clients with a tenth as many each, no messages) in
// table CallsByMonth on Azurite, built by the real composition, against a baseline in the same process: a plain
// QueryAsync of the same index partition, then an upload of a blob of calls.csv's size. Medians of --runs runs.
// Two phases, run by bench/run-export.sh as two processes against one Azurite: "load" writes the rows and makes the
// month's SLA report; "measure" starts fresh, so that its peak working set is that of the export, not of the load.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Configuration;
using Permanence.Core.Exports;
using Permanence.Core.Security;
using Permanence.Core.Sla;
using Permanence.Http;
using Permanence.Infrastructure.Storage;

var options = Args.Parse(args);
if (options.Storage is null)
{
    Console.Error.WriteLine("--storage is required (bench/run-export.sh passes it)");
    return 2;
}
await using var bench = await Bench.CreateAsync(options);
return options.Phase switch
{
    "load" => await bench.LoadAsync(),
    _ => await bench.MeasureAsync(),
};

internal sealed class Bench : IAsyncDisposable
{
    private const int ConcurrentBatches = 8;
    private const int Chunk = 10_000;

    private readonly Args _options;
    private readonly ServiceProvider _provider;
    private readonly YearMonth _month;
    private readonly string _client = "export-bench-0";

    private Bench(Args options, ServiceProvider provider, YearMonth month)
    {
        _options = options;
        _provider = provider;
        _month = month;
    }

    private string Period => Months.Format(_month);

    private string Partition => $"{_client}|{Period}";

    public static Task<Bench> CreateAsync(Args options)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Permanence:Storage:ConnectionString"] = options.Storage,
            ["Permanence:PublicBaseUrl"] = "http://127.0.0.1",
            // Not a development key: the composition is validated as in production (no host environment).
            ["Permanence:Signing:Key"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddPermanence(configuration);
        var provider = services.BuildServiceProvider();
        // The last closed month in Paris, computed alike by both phases (they run minutes apart).
        var now = Instant.FromDateTimeOffset(provider.GetRequiredService<TimeProvider>().GetUtcNow());
        var month = now.InZone(Generator.Paris).Date.ToYearMonth().PlusMonths(-1);
        return Task.FromResult(new Bench(options, provider, month));
    }

    public async ValueTask DisposeAsync() => await _provider.DisposeAsync();

    /// <summary>Phase 1: contracts, rows, and the month's SLA report, so that the timed export measures the export alone.</summary>
    public async Task<int> LoadAsync()
    {
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
        var contracts = _provider.GetRequiredService<ContractService>();
        var table = await _provider.GetRequiredService<Tables>().GetAsync(StorageNames.CallsByMonthTable, CancellationToken.None);
        var clients = Enumerable.Range(0, 1 + _options.OtherClients).Select(i => $"export-bench-{i}").ToList();
        foreach (var clientId in clients)
        {
            var saved = await contracts.PutAsync(clientId, Contracts.Configuration(_month.OnDayOfMonth(1)), ClientScope.Everyone, CancellationToken.None);
            if (saved is not PutContractResult.Saved)
            {
                throw new InvalidOperationException($"Saving the contract of {clientId} failed: {saved}");
            }
        }

        var writing = Stopwatch.StartNew();
        long written = 0;
        for (var c = 0; c < clients.Count; c++)
        {
            var count = c == 0 ? _options.Calls : _options.Calls / 10;
            // Generated and written a chunk at a time: the load never holds the month in memory.
            foreach (var chunk in Generator.Calls(clients[c], _month, count, seed: 11 + c).Chunk(Chunk))
            {
                written += await WriteAsync(table, $"{clients[c]}|{Period}", chunk);
            }
            Console.WriteLine($"  {clients[c]}: {count:N0} rows written ({written:N0} in all, {writing.Elapsed.TotalSeconds:F0} s)");
        }
        Console.WriteLine($"load: {written:N0} rows of {clients.Count} clients in table {StorageNames.CallsByMonthTable} for {Period} in {writing.Elapsed.TotalSeconds:F1} s " +
            $"(batch transactions of 100, {ConcurrentBatches} at a time; the columns of TableCallStore.ToEntity); measured partition {Partition}: {_options.Calls:N0} rows; no messages");

        // The export makes the month's report when missing; made here, before any timed run, so that it is not timed.
        var reporting = Stopwatch.StartNew();
        var outcome = await _provider.GetRequiredService<SlaReportJob>().RunAsync(_client, _month, CancellationToken.None);
        Console.WriteLine($"SLA report for {Period} made before timing (SlaReportJob.RunAsync once, untimed in the comparison): {outcome} in {reporting.Elapsed.TotalSeconds:F1} s");
        return outcome == SlaJobOutcome.Written ? 0 : 1;
    }

    /// <summary>Phase 2, in a fresh process: the export runs first in each run, the baseline after it.</summary>
    public async Task<int> MeasureAsync()
    {
        var job = _provider.GetRequiredService<ExportJob>();
        var store = _provider.GetRequiredService<IExportStore>();
        var blobs = _provider.GetRequiredService<BlobServiceClient>();
        var table = await _provider.GetRequiredService<Tables>().GetAsync(StorageNames.CallsByMonthTable, CancellationToken.None);
        var exports = blobs.GetBlobContainerClient(StorageNames.ExportsContainer);
        var baseline = blobs.GetBlobContainerClient("export-bench");
        await baseline.CreateIfNotExistsAsync();
        var prefix = $"{_client}/{Period}/";

        Console.WriteLine();
        Console.WriteLine($"## ExportJob.RunAsync vs scan + upload ({_client}, {Period}, a closed month; {_options.Calls:N0} calls in partition {Partition}; {_options.Runs} runs)");
        Console.WriteLine("the month's SLA report was made in the load phase, before timing: each timed export finds it and exports it as it is");
        Console.WriteLine("each run: the export first (its exports/{client}/{period}/ blobs deleted before, since an export is written once), then the scan, then the upload");

        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var startWorkingSet = process.WorkingSet64;
        var startPeak = process.PeakWorkingSet64;
        Console.WriteLine($"process before the first export (fresh process, composition built): working set {Mb(startWorkingSet)} MB, peak so far {Mb(startPeak)} MB");

        var rows = new List<Run>();
        long? freshPeak = null;
        for (var run = 1; run <= _options.Runs; run++)
        {
            // The store creates its container on first use: before the first export there is nothing to delete.
            if (await exports.ExistsAsync())
            {
                await foreach (var item in exports.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
                {
                    await exports.DeleteBlobIfExistsAsync(item.Name);
                }
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var export = await Sampled.RunAsync(async () =>
            {
                var outcome = await job.RunAsync(_client, _month, CancellationToken.None);
                if (outcome != ExportJobOutcome.Written)
                {
                    throw new InvalidOperationException($"The export answered {outcome}, not Written.");
                }
            });
            if (run == 1)
            {
                process.Refresh();
                freshPeak = process.PeakWorkingSet64;
            }
            var calls = await store.GetAsync(new ExportFolder(_client, _month), ExportFiles.Calls, CancellationToken.None)
                ?? throw new InvalidOperationException("calls.csv is missing after the export.");
            if (calls.Rows != _options.Calls)
            {
                throw new InvalidOperationException($"calls.csv has {calls.Rows:N0} rows, not {_options.Calls:N0}.");
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var scannedRows = 0;
            var scan = await Sampled.RunAsync(async () =>
            {
                await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}")))
                {
                    scannedRows++;
                }
            });
            if (scannedRows != _options.Calls)
            {
                throw new InvalidOperationException($"The scan returned {scannedRows:N0} rows, not {_options.Calls:N0}.");
            }

            GC.Collect();
            GC.WaitForPendingFinalizers();
            var blob = baseline.GetBlobClient($"run-{run}.csv");
            var upload = await Sampled.RunAsync(async () =>
            {
                // Blocks of 4 MiB staged one at a time, as HashingBlockUpload stages them, from bytes made as they are read.
                await blob.UploadAsync(new GeneratedStream(calls.Bytes), new BlobUploadOptions
                {
                    TransferOptions = new StorageTransferOptions { InitialTransferSize = 4 * 1024 * 1024, MaximumTransferSize = 4 * 1024 * 1024, MaximumConcurrency = 1 },
                });
            });
            await blob.DeleteIfExistsAsync();

            var row = new Run(export, scan, upload, calls.Bytes);
            rows.Add(row);
            Console.WriteLine($"run {run}: export {row.Export.Ms / 1000:F1} s ({_options.Calls / (row.Export.Ms / 1000):N0} rows/s, max sampled working set {Mb(row.Export.MaxWorkingSet)} MB, " +
                $"{Mb(row.Export.Allocated)} MB allocated) | scan {row.Scan.Ms / 1000:F1} s + upload {row.Upload.Ms / 1000:F2} s of {Mb(row.Bytes)} MB = {row.Baseline / 1000:F1} s | ratio {row.Ratio:F2}");
        }

        var exportMedian = Stats.Median(rows.Select(r => r.Export.Ms));
        var scanMedian = Stats.Median(rows.Select(r => r.Scan.Ms));
        var uploadMedian = Stats.Median(rows.Select(r => r.Upload.Ms));
        var baselineMedian = Stats.Median(rows.Select(r => r.Baseline));
        var ratio = Stats.Median(rows.Select(r => r.Ratio));
        var maxExportWorkingSet = rows.Max(r => r.Export.MaxWorkingSet);
        var maxBaselineWorkingSet = rows.Max(r => Math.Max(r.Scan.MaxWorkingSet, r.Upload.MaxWorkingSet));
        var allocatedMedian = Stats.Median(rows.Select(r => (double)r.Export.Allocated));
        Console.WriteLine();
        Console.WriteLine("| run | export s | rows/s | scan s | upload s | scan + upload s | export / (scan + upload) | export max working set MB | export allocated MB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            Console.WriteLine($"| {i + 1} | {r.Export.Ms / 1000:F1} | {_options.Calls / (r.Export.Ms / 1000):N0} | {r.Scan.Ms / 1000:F1} | {r.Upload.Ms / 1000:F2} | {r.Baseline / 1000:F1} | {r.Ratio:F2} | {Mb(r.Export.MaxWorkingSet)} | {Mb(r.Export.Allocated)} |");
        }
        Console.WriteLine($"| median | {exportMedian / 1000:F1} | {_options.Calls / (exportMedian / 1000):N0} | {scanMedian / 1000:F1} | {uploadMedian / 1000:F2} | {baselineMedian / 1000:F1} | {ratio:F2} | {Mb(maxExportWorkingSet)} (max) | {Mb((long)allocatedMedian)} |");
        Console.WriteLine();
        Console.WriteLine($"calls.csv: {_options.Calls:N0} rows, {Mb(rows[0].Bytes)} MB ({rows[0].Bytes / (double)_options.Calls:F0} bytes a row)");
        Console.WriteLine($"memory: peak working set of the process (PeakWorkingSet64, process-wide) after run 1's export, in a process that had done nothing but start: {Mb(freshPeak!.Value)} MB " +
            $"(working set {Mb(startWorkingSet)} MB before it, so {Mb(freshPeak.Value - startWorkingSet)} MB more); working set sampled every {Sampled.IntervalMs} ms during the exports: " +
            $"max {Mb(maxExportWorkingSet)} MB; during the scans and uploads: max {Mb(maxBaselineWorkingSet)} MB; managed allocations per export {Mb((long)allocatedMedian)} MB (GC.GetTotalAllocatedBytes, median)");
        var memoryMet = freshPeak.Value < 200L * 1024 * 1024 && maxExportWorkingSet < 200L * 1024 * 1024;
        var timeMet = ratio <= 1.3;
        Console.WriteLine($"goal: peak memory < 200 MB: peak {Mb(freshPeak.Value)} MB, max sampled {Mb(maxExportWorkingSet)} MB → {(memoryMet ? "met" : "not met")}");
        Console.WriteLine($"goal: export ≤ 1.3× (scan + upload), on the medians: {exportMedian / 1000:F1} s vs {baselineMedian / 1000:F1} s, ratio {ratio:F2} → {(timeMet ? "met" : "not met")}");
        return 0;
    }

    private static async Task<int> WriteAsync(TableClient table, string partition, CallRecord[] calls)
    {
        await Parallel.ForEachAsync(calls.Chunk(100), new ParallelOptions { MaxDegreeOfParallelism = ConcurrentBatches }, async (batch, cancellationToken) =>
        {
            var actions = batch.Select(call => new TableTransactionAction(TableTransactionActionType.UpsertReplace, new TableEntity(partition, call.Key)
            {
                ["Provider"] = call.Provider,
                ["CallId"] = call.CallId,
                ["Direction"] = call.Direction,
                ["From"] = call.From,
                ["To"] = call.To,
                ["StartedAt"] = call.StartedAt?.ToDateTimeOffset(),
                ["AnsweredAt"] = call.AnsweredAt?.ToDateTimeOffset(),
                ["EndedAt"] = call.EndedAt?.ToDateTimeOffset(),
                ["ReportedOutcome"] = call.ReportedOutcome,
                ["AgentId"] = call.AgentId,
                ["AgentObservedAt"] = call.AgentObservedAt?.ToDateTimeOffset(),
                ["ClientId"] = call.ClientId,
            }));
            await table.SubmitTransactionAsync(actions, cancellationToken);
        });
        return calls.Length;
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

    private sealed record Run(Sample Export, Sample Scan, Sample Upload, long Bytes)
    {
        public double Baseline => Scan.Ms + Upload.Ms;

        public double Ratio => Export.Ms / Baseline;
    }
}

/// <summary>One timed step: its time, the largest working set sampled while it ran, and the managed bytes it allocated.</summary>
internal sealed record Sample(double Ms, long MaxWorkingSet, long Allocated);

internal static class Sampled
{
    public const int IntervalMs = 50;

    public static async Task<Sample> RunAsync(Func<Task> step)
    {
        using var done = new CancellationTokenSource();
        long max = 0;
        // A thread of its own: the sampling goes on even when the step keeps the thread pool busy.
        var sampler = new Thread(() =>
        {
            using var process = Process.GetCurrentProcess();
            while (!done.IsCancellationRequested)
            {
                process.Refresh();
                max = Math.Max(max, process.WorkingSet64);
                done.Token.WaitHandle.WaitOne(IntervalMs);
            }
            process.Refresh();
            max = Math.Max(max, process.WorkingSet64);
        }) { IsBackground = true };
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        sampler.Start();
        var started = Stopwatch.GetTimestamp();
        await step();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        await done.CancelAsync();
        sampler.Join();
        return new Sample(ms, max, allocated);
    }
}

/// <summary>A read-only stream of a given length whose bytes (CSV-like lines) are made as they are read, never held.</summary>
internal sealed class GeneratedStream(long length) : Stream
{
    private static readonly byte[] Line = "aircall,c0000000,inbound,+33612345678,+33186950000,2026-10-01T08:30:00.000Z,answered\r\n"u8.ToArray();

    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set => _position = value;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = (int)Math.Min(buffer.Length, length - _position);
        for (var i = 0; i < n; i++)
        {
            buffer[i] = Line[(int)((_position + i) % Line.Length)];
        }
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override long Seek(long offset, SeekOrigin origin)
    {
        _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        return _position;
    }

    public override void Flush()
    {
        // Read-only.
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// Calls of one client's month from a fixed seed, made one at a time: all inbound and started in the month, most in
/// business hours; 85 % answered (pickup 1 s plus an exponential of mean 9 s), 10 % abandoned, 3 % missed, 2 % voicemail.
/// </summary>
internal static class Generator
{
    public static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];

    public static IEnumerable<CallRecord> Calls(string clientId, YearMonth month, int count, int seed)
    {
        var random = new Random(seed);
        var days = month.Calendar.GetDaysInMonth(month.Year, month.Month);
        var end = month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(Paris).ToInstant();
        Duration Ms(long from, long to) => Duration.FromMilliseconds(random.NextInt64(from, to));
        for (var i = 0; i < count; i++)
        {
            var day = month.OnDayOfMonth(1 + random.Next(days));
            var (from, to) = random.NextDouble() < 0.80 ? (510, 1110) : (0, 1440);
            var started = day.AtMidnight().PlusMilliseconds(from * 60_000L + random.NextInt64((to - from) * 60_000L)).InZoneLeniently(Paris).ToInstant();
            if (started >= end)
            {
                started = end - Duration.FromMinutes(1);
            }
            var r = random.NextDouble();
            Instant? answered = null;
            Instant ended;
            string outcome;
            if (r < 0.85)
            {
                answered = started + Duration.FromMilliseconds(Math.Min(300_000L, 1_000 + (long)(-Math.Log(1 - random.NextDouble()) * 9_000)));
                ended = answered.Value + Ms(30_000, 600_000);
                outcome = CallOutcomes.Answered;
            }
            else if (r < 0.95)
            {
                ended = started + Ms(0, 120_000);
                outcome = CallOutcomes.Abandoned;
            }
            else if (r < 0.98)
            {
                ended = started + Ms(20_000, 60_000);
                outcome = CallOutcomes.Missed;
            }
            else
            {
                ended = started + Ms(30_000, 90_000);
                outcome = CallOutcomes.Voicemail;
            }
            yield return new CallRecord
            {
                Provider = "aircall",
                CallId = $"c{i:D7}",
                Direction = CallDirections.Inbound,
                From = "+33612345678",
                To = "+33186950000",
                StartedAt = started,
                AnsweredAt = answered,
                EndedAt = ended,
                ReportedOutcome = outcome,
                AgentId = answered is null ? null : "agent-1",
                AgentObservedAt = answered,
                ClientId = clientId,
            };
        }
    }
}

/// <summary>The contract of samples/althea.json (Europe/Paris), with no numbers: the bench's calls are written directly.</summary>
internal static class Contracts
{
    public static ClientConfiguration Configuration(LocalDate effectiveFrom)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "althea.json")))!.AsObject();
        json["effectiveFrom"] = effectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // Numbers are owned by one client at a time; the bench's clients own none.
        json["numbers"] = new JsonArray();
        return json.Deserialize<ClientConfiguration>(ContractService.Json)!;
    }
}

internal static class Months
{
    public static string Format(YearMonth month) => $"{month.Year:D4}-{month.Month:D2}";
}

internal static class Stats
{
    public static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }
}

internal sealed record Args(string? Storage, int Runs, int Calls, int OtherClients, string Phase)
{
    public static Args Parse(string[] args)
    {
        string? Get(string name, string? fallback)
        {
            var i = Array.IndexOf(args, $"--{name}");
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture))!, CultureInfo.InvariantCulture);
        var phase = Get("phase", "measure")!;
        if (phase is not ("load" or "measure"))
        {
            throw new ArgumentException("--phase is load or measure (bench/run-export.sh runs both)");
        }
        return new Args(Get("storage", null), Int("runs", 3), Int("calls", 1_000_000), Int("other-clients", 2), phase);
    }
}
