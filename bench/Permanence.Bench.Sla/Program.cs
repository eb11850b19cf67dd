// SLA calculator benchmark (README, "SLA benchmark"), two comparisons in one run, medians of --runs runs:
// 1. in memory: SlaCalculator.Calculate over one client's month (1,000,000 inbound calls, 100,000 messages with
//    their deliveries, generated from a fixed seed) vs DuckDB computing the same figures with SQL over the same
//    data loaded with its Appender; the figures are cross-checked, the bench fails when they differ.
// 2. on Azurite: SlaReportJob.RunAsync over one client's month (100,000 calls among 300,000 of three clients in
//    table CallsByMonth), built by the real composition, vs a plain read of the same index partition.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using DuckDB.NET.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Security;
using Permanence.Core.Sla;
using Permanence.Http;
using Permanence.Infrastructure.Storage;

var options = Args.Parse(args);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription.Trim()}, .NET {Environment.Version}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
Console.WriteLine($"runs: {options.Runs} (medians), in memory: {options.Calls:N0} inbound calls and {options.Messages:N0} messages of one client in {Months.Format(options.MemoryMonth)}; " +
    $"on Azurite: {options.JobCalls:N0} calls of one client among {options.JobCalls * options.JobClients:N0} ({options.JobClients} clients)");

var summary = new List<string>();
var agree = true;
if (options.Part is "all" or "memory")
{
    agree = InMemory.Run(options, summary);
}
if (options.Part is "all" or "azurite")
{
    if (options.Storage is null)
    {
        Console.Error.WriteLine("--storage is required for the Azurite part (bench/run-sla.sh passes it)");
        return 2;
    }
    agree &= await OnAzurite.RunAsync(options, summary);
}

Console.WriteLine();
Console.WriteLine("=== summary ===");
foreach (var line in summary)
{
    Console.WriteLine(line);
}
return agree ? 0 : 1;

/// <summary>Part 1: the calculator and DuckDB over the same month in memory.</summary>
internal static class InMemory
{
    public static bool Run(Args options, List<string> summary)
    {
        const string clientId = "sla-bench";
        var month = options.MemoryMonth;
        var history = Contracts.History(clientId, month.OnDayOfMonth(1));
        var version = history.Versions.Single();

        var generation = Stopwatch.StartNew();
        var data = Generator.Generate(clientId, version.Zone, month, options.Calls, options.Messages, seed: 20261001);
        Console.WriteLine();
        Console.WriteLine($"## 1. In memory: calculator vs DuckDB ({Months.Format(month)}, {version.Zone.Id})");
        Console.WriteLine($"generated in {generation.Elapsed.TotalSeconds:F1} s (seed 20261001): {data.Calls.Count:N0} call records ({options.Calls:N0} inbound in the month, " +
            $"the rest outbound or outside the month, which both sides leave out), {data.Messages.Count:N0} messages, {data.Deliveries.Count:N0} delivery histories");
        Console.WriteLine($"bands: {string.Join(", ", version.Calendar.Bands.Select(b => b.Name))}, other band \"{version.Calendar.OtherBand}\"; " +
            $"short abandon < {version.Configuration.Sla?.ShortAbandonSeconds} s; targets: " +
            string.Join("; ", version.Configuration.Sla!.Targets!.Select(t => $"{t.Band} SL {t.ServiceLevelSeconds?.ToString(CultureInfo.InvariantCulture) ?? "-"} s, transmission {t.TransmissionMinutes?.ToString(CultureInfo.InvariantCulture) ?? "-"} min")));
        Console.WriteLine("DuckDB is given each call's and message's band computed beforehand in C# with the contract's calendar " +
            "(ClientCalendar.BandAt, as the calculator does): that time is measured and shown beside DuckDB's query time.");
        Console.WriteLine($"DuckDB: in-process, in-memory database, threads = {DuckDb.Threads()}; the calculator runs on one thread.");

        MessageDeliveries Deliveries(string id) => data.Deliveries.GetValueOrDefault(id) ?? MessageDeliveries.None;
        SlaReport Ours() => SlaCalculator.Calculate(history, month, data.Calls, data.Messages, Deliveries);

        // Warm-up of both sides (JIT, DuckDB's native library and first allocations), then a peak working set of
        // the process holding the data and having run the calculator, before DuckDB ever holds any of it.
        var report = Ours();
        GC.Collect();
        var workingSetData = Process.GetCurrentProcess().WorkingSet64;
        var peakBeforeDuckDb = Process.GetCurrentProcess().PeakWorkingSet64;
        var (callBands, messageBands) = Bands.Compute(history, data);
        using (var warm = DuckDb.Load(data, callBands, messageBands, version, month))
        {
            var duck = warm.Query();
            var mismatches = CrossCheck.Compare(report, duck);
            if (mismatches.Count > 0)
            {
                Console.WriteLine("FIGURES DIFFER between the calculator and DuckDB:");
                foreach (var mismatch in mismatches.Take(30))
                {
                    Console.WriteLine($"  {mismatch}");
                }
                summary.Add($"in memory: FIGURES DIFFER ({mismatches.Count} mismatches)");
                return false;
            }
            Console.WriteLine($"figures agree: {CrossCheck.Compared} figures compared (counts exact, rates within {CrossCheck.Tolerance:0e0}) over {duck.Count} rows (bands and overall)");
            PrintFigures(report);
        }

        var rows = new List<MemoryRun>();
        for (var run = 1; run <= options.Runs; run++)
        {
            // Alternating which side goes first; a full collection before each side so that neither pays for the other's garbage.
            (double Ms, long Allocated, SlaReport Report) RunOurs()
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var started = Stopwatch.GetTimestamp();
                var ours = Ours();
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                return (ms, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, ours);
            }
            (double BandsMs, double LoadMs, double QueryMs, List<DuckFigures> Figures) RunDuckDb()
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var started = Stopwatch.GetTimestamp();
                var (runCallBands, runMessageBands) = Bands.Compute(history, data);
                var bandsMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                started = Stopwatch.GetTimestamp();
                using var duck = DuckDb.Load(data, runCallBands, runMessageBands, version, month);
                var loadMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                started = Stopwatch.GetTimestamp();
                var figures = duck.Query();
                return (bandsMs, loadMs, Stopwatch.GetElapsedTime(started).TotalMilliseconds, figures);
            }
            var duckFirst = run % 2 == 0;
            var duckDb = duckFirst ? RunDuckDb() : default;
            var oursRun = RunOurs();
            if (!duckFirst)
            {
                duckDb = RunDuckDb();
            }
            if (CrossCheck.Compare(oursRun.Report, duckDb.Figures).Count > 0)
            {
                throw new InvalidOperationException("The figures differ in a timed run though they agreed in the warm-up.");
            }
            var row = new MemoryRun(oursRun.Ms, oursRun.Allocated, duckDb.BandsMs, duckDb.LoadMs, duckDb.QueryMs);
            rows.Add(row);
            Console.WriteLine($"run {run}: calculator {row.OursMs:F0} ms | DuckDB query {row.QueryMs:F0} ms, load {row.LoadMs:F0} ms, bands in C# {row.BandsMs:F0} ms | ratio calculator/query {row.OursMs / row.QueryMs:F2}");
        }

        var oursMedian = Stats.Median(rows.Select(r => r.OursMs));
        var queryMedian = Stats.Median(rows.Select(r => r.QueryMs));
        var loadMedian = Stats.Median(rows.Select(r => r.LoadMs));
        var bandsMedian = Stats.Median(rows.Select(r => r.BandsMs));
        var ratio = Stats.Median(rows.Select(r => r.OursMs / r.QueryMs));
        var ratioWithBands = Stats.Median(rows.Select(r => r.OursMs / (r.QueryMs + r.BandsMs)));
        var allocatedMedian = Stats.Median(rows.Select(r => (double)r.AllocatedBytes));
        var peak = Process.GetCurrentProcess().PeakWorkingSet64;
        Console.WriteLine();
        Console.WriteLine("| run | calculator ms | DuckDB query ms | DuckDB load ms | bands in C# ms | DuckDB query + bands ms | calculator / query | calculator / (query + bands) | calculator allocated MB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            Console.WriteLine($"| {i + 1} | {r.OursMs:F0} | {r.QueryMs:F0} | {r.LoadMs:F0} | {r.BandsMs:F0} | {r.QueryMs + r.BandsMs:F0} | {r.OursMs / r.QueryMs:F2} | {r.OursMs / (r.QueryMs + r.BandsMs):F2} | {Mb(r.AllocatedBytes)} |");
        }
        Console.WriteLine($"| median | {oursMedian:F0} | {queryMedian:F0} | {loadMedian:F0} | {bandsMedian:F0} | {Stats.Median(rows.Select(r => r.QueryMs + r.BandsMs)):F0} | {ratio:F2} | {ratioWithBands:F2} | {Mb((long)allocatedMedian)} |");
        Console.WriteLine();
        Console.WriteLine($"calculator memory: {Mb((long)allocatedMedian)} MB allocated (managed, GC.GetTotalAllocatedBytes) per run over {options.Calls:N0} calls and {options.Messages:N0} messages " +
            $"({allocatedMedian / (options.Calls + options.Messages):F0} bytes per record, input records excluded: they are generated before)");
        Console.WriteLine($"process working set: {Mb(workingSetData)} MB holding the generated data (after a full collection); peak {Mb(peakBeforeDuckDb)} MB after the calculator's warm-up, before DuckDB was loaded; " +
            $"peak {Mb(peak)} MB for the whole part (data, calculator, DuckDB's database)");
        var met = ratio <= 1.0;
        Console.WriteLine($"goal: calculator ≤ 1.0× DuckDB's query time, on the medians: {oursMedian:F0} ms vs {queryMedian:F0} ms, ratio {ratio:F2} → {(met ? "met" : "not met")} " +
            $"(against DuckDB's query + the bands computed in C#: {ratioWithBands:F2})");
        summary.Add($"in memory ({options.Calls:N0} calls, {options.Messages:N0} messages, {options.Runs} runs, medians): figures agree; calculator {oursMedian:F0} ms, " +
            $"DuckDB query {queryMedian:F0} ms (load {loadMedian:F0} ms; bands in C# {bandsMedian:F0} ms), ratio calculator/query {ratio:F2} (goal ≤ 1.0: {(met ? "met" : "not met")}), " +
            $"calculator/(query + bands) {ratioWithBands:F2}; calculator allocated {Mb((long)allocatedMedian)} MB per run; peak working set {Mb(peakBeforeDuckDb)} MB before DuckDB, {Mb(peak)} MB overall");
        return true;
    }

    private static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

    private static void PrintFigures(SlaReport report)
    {
        Console.WriteLine("| band | inbound | answered | abandoned | short | missed | offered | answer rate | ASA s | p90 s | service level | transmission |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var b in report.Bands.Append(report.Overall))
        {
            Console.WriteLine($"| {b.Band} | {b.Inbound:N0} | {b.Answered:N0} | {b.Abandoned:N0} | {b.ShortAbandoned:N0} | {b.Missed:N0} | {b.Offered:N0} | {Rate(b.AnswerRate)} | {Num(b.AsaSeconds)} | {Num(b.P90PickupSeconds)} | {Rate(b.ServiceLevel)} | {Rate(b.TransmissionRate)} |");
        }
    }

    private static string Rate(decimal? value) => value is { } v ? v.ToString("P2", CultureInfo.InvariantCulture) : "-";

    private static string Num(decimal? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "-";

    private sealed record MemoryRun(double OursMs, long AllocatedBytes, double BandsMs, double LoadMs, double QueryMs);
}

/// <summary>Each call's and message's band, computed as the calculator does, for DuckDB's band column.</summary>
internal static class Bands
{
    public static (string?[] Calls, string[] Messages) Compute(ContractHistory history, MonthData data)
    {
        var inForce = history.Versions[^1];
        var calls = new string?[data.Calls.Count];
        for (var i = 0; i < calls.Length; i++)
        {
            if (data.Calls[i].StartedAt is { } started)
            {
                calls[i] = (history.VersionAt(started) ?? inForce).Calendar.BandAt(started);
            }
        }
        var messages = new string[data.Messages.Count];
        for (var i = 0; i < messages.Length; i++)
        {
            var taken = data.Messages[i].TakenAt;
            messages[i] = (history.VersionAt(taken) ?? inForce).Calendar.BandAt(taken);
        }
        return (calls, messages);
    }
}

/// <summary>One row of DuckDB's answer: a band, or the whole month when <see cref="Band"/> is null.</summary>
internal sealed record DuckFigures(
    string? Band,
    long Inbound,
    long Answered,
    long Abandoned,
    long ShortAbandoned,
    long Missed,
    long Offered,
    double? AnswerRate,
    double? AsaSeconds,
    double? P90Seconds,
    double? ServiceLevel,
    long Messages,
    double? TransmissionRate);

/// <summary>
/// The same month in an in-memory DuckDB database, loaded with the Appender, and the report's figures in SQL: each
/// rule of SlaCalculator (docs/architecture.md, "SLA calculator") written out as a column or a filter.
/// </summary>
internal sealed class DuckDb : IDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly string _start;
    private readonly string _end;
    private readonly long _shortAbandonMs;

    private DuckDb(DuckDBConnection connection, string start, string end, long shortAbandonMs)
    {
        _connection = connection;
        _start = start;
        _end = end;
        _shortAbandonMs = shortAbandonMs;
    }

    public static string Threads()
    {
        using var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('threads')::VARCHAR || ', DuckDB ' || version()";
        return (string)command.ExecuteScalar()!;
    }

    public static DuckDb Load(MonthData data, string?[] callBands, string[] messageBands, ContractVersion version, YearMonth month)
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        Execute(connection, """
            CREATE TABLE calls (band VARCHAR, direction VARCHAR, started TIMESTAMP, answered TIMESTAMP, ended TIMESTAMP, reported_outcome VARCHAR);
            CREATE TABLE messages (id VARCHAR, band VARCHAR, taken_at TIMESTAMP);
            CREATE TABLE steps (message_id VARCHAR, step INTEGER, status VARCHAR);
            CREATE TABLE attempts (message_id VARCHAR, step INTEGER, status VARCHAR, sent_at TIMESTAMP);
            CREATE TABLE targets (band VARCHAR, service_level_ms BIGINT, transmission_ms BIGINT);
            """);
        using (var appender = connection.CreateAppender("calls"))
        {
            for (var i = 0; i < data.Calls.Count; i++)
            {
                var call = data.Calls[i];
                appender.CreateRow()
                    .AppendValue(callBands[i])
                    .AppendValue(call.Direction)
                    .AppendValue(call.StartedAt?.ToDateTimeUtc())
                    .AppendValue(call.AnsweredAt?.ToDateTimeUtc())
                    .AppendValue(call.EndedAt?.ToDateTimeUtc())
                    .AppendValue(call.ReportedOutcome)
                    .EndRow();
            }
        }
        using (var messages = connection.CreateAppender("messages"))
        using (var steps = connection.CreateAppender("steps"))
        using (var attempts = connection.CreateAppender("attempts"))
        {
            for (var i = 0; i < data.Messages.Count; i++)
            {
                var message = data.Messages[i];
                messages.CreateRow().AppendValue(message.Id).AppendValue(messageBands[i]).AppendValue(message.TakenAt.ToDateTimeUtc()).EndRow();
                if (!data.Deliveries.TryGetValue(message.Id, out var deliveries))
                {
                    continue;
                }
                foreach (var step in deliveries.Steps)
                {
                    steps.CreateRow().AppendValue(step.MessageId).AppendValue(step.Step).AppendValue(step.Status).EndRow();
                }
                foreach (var attempt in deliveries.Attempts)
                {
                    attempts.CreateRow().AppendValue(attempt.MessageId).AppendValue(attempt.Step).AppendValue(attempt.Status).AppendValue(attempt.SentAt?.ToDateTimeUtc()).EndRow();
                }
            }
        }
        var sla = version.Configuration.Sla!;
        using (var targets = connection.CreateAppender("targets"))
        {
            // As the calculator: the last target given for a band counts.
            foreach (var target in sla.Targets!.Where(t => t.Band is not null).GroupBy(t => t.Band!).Select(g => g.Last()))
            {
                targets.CreateRow()
                    .AppendValue(target.Band)
                    .AppendValue(target.ServiceLevelSeconds is { } s ? s * 1000L : (long?)null)
                    .AppendValue(target.TransmissionMinutes is { } m ? m * 60_000L : (long?)null)
                    .EndRow();
            }
        }
        var start = month.OnDayOfMonth(1).AtStartOfDayInZone(version.Zone).ToInstant();
        var end = month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(version.Zone).ToInstant();
        static string Literal(Instant instant) => $"TIMESTAMP '{instant.ToDateTimeUtc().ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture)}'";
        return new DuckDb(connection, Literal(start), Literal(end), (sla.ShortAbandonSeconds ?? 0) * 1000L);
    }

    /// <summary>Per band and for the whole month (the row whose band is null).</summary>
    public List<DuckFigures> Query()
    {
        // Kinds as SlaCalculator.Classify: answered when answered; otherwise missed unless the outcome is abandoned
        // (a reported "answered" without an answer time is not); an abandon is short when it ended before the threshold.
        var calls = $"""
            WITH c AS (
                SELECT band,
                       answered IS NOT NULL AS is_answered,
                       answered IS NULL AND reported_outcome IS NOT DISTINCT FROM 'abandoned' AS is_abandon,
                       ended IS NOT NULL AND epoch_ms(ended) - epoch_ms(started) < {_shortAbandonMs} AS is_brief,
                       epoch_ms(answered) - epoch_ms(started) AS pickup_ms
                FROM calls
                WHERE direction = 'inbound' AND started >= {_start} AND started < {_end}
            ), g AS (
                SELECT CASE WHEN GROUPING(c.band) = 1 THEN NULL ELSE c.band END AS band,
                       GROUPING(c.band) = 0 AS is_band,
                       count(*) AS inbound,
                       count(*) FILTER (WHERE is_answered) AS answered,
                       count(*) FILTER (WHERE is_abandon AND NOT is_brief) AS abandoned,
                       count(*) FILTER (WHERE is_abandon AND is_brief) AS short_abandoned,
                       count(*) FILTER (WHERE NOT is_answered AND NOT is_abandon) AS missed,
                       avg(pickup_ms) / 1000 AS asa,
                       quantile_disc(pickup_ms, 0.9)::DOUBLE / 1000 AS p90,
                       count(*) FILTER (WHERE pickup_ms <= t.service_level_ms) AS within,
                       any_value(t.service_level_ms) AS service_level_ms
                FROM c LEFT JOIN targets t ON t.band = c.band
                GROUP BY GROUPING SETS ((c.band), ())
            )
            SELECT band, inbound, answered, abandoned, short_abandoned, missed, inbound - short_abandoned AS offered,
                   CASE WHEN inbound - short_abandoned > 0 THEN answered::DOUBLE / (inbound - short_abandoned) END AS answer_rate,
                   asa, p90,
                   CASE WHEN is_band AND service_level_ms IS NOT NULL AND inbound - short_abandoned > 0
                        THEN within::DOUBLE / (inbound - short_abandoned) END AS service_level
            FROM g
            """;
        // The first delivery as SlaCalculator.FirstDelivery: the earliest sent attempt of the lowest step that ran,
        // the fallback step (99) aside.
        var messages = $"""
            WITH first_step AS (
                SELECT message_id, min(step) AS step FROM steps WHERE status = 'ran' AND step <> {RoutingService.FallbackStep} GROUP BY message_id
            ), delivered AS (
                SELECT a.message_id, min(a.sent_at) AS sent_at
                FROM attempts a JOIN first_step f ON a.message_id = f.message_id AND a.step = f.step
                WHERE a.status = 'sent' AND a.sent_at IS NOT NULL
                GROUP BY a.message_id
            )
            SELECT m.band, count(*) AS messages,
                   count(*) FILTER (WHERE epoch_ms(d.sent_at) - epoch_ms(m.taken_at) <= t.transmission_ms) AS in_time,
                   any_value(t.transmission_ms) AS transmission_ms
            FROM messages m LEFT JOIN delivered d ON d.message_id = m.id LEFT JOIN targets t ON t.band = m.band
            WHERE m.taken_at >= {_start} AND m.taken_at < {_end}
            GROUP BY m.band
            """;
        var transmission = new Dictionary<string, (long Messages, double? Rate)>(StringComparer.Ordinal);
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = messages;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var count = reader.GetInt64(1);
                double? rate = reader.IsDBNull(3) || count == 0 ? null : (double)reader.GetInt64(2) / count;
                transmission[reader.GetString(0)] = (count, rate);
            }
        }
        var rows = new List<DuckFigures>();
        using (var command = _connection.CreateCommand())
        {
            command.CommandText = calls;
            using var reader = command.ExecuteReader();
            double? Double(int i) => reader.IsDBNull(i) ? null : reader.GetDouble(i);
            while (reader.Read())
            {
                var band = reader.IsDBNull(0) ? null : reader.GetString(0);
                var (count, rate) = band is not null && transmission.Remove(band, out var t) ? t : (0L, null);
                rows.Add(new DuckFigures(band, reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6),
                    Double(7), Double(8), Double(9), Double(10), count, rate));
            }
        }
        // Bands with messages and no call.
        rows.AddRange(transmission.Select(t => new DuckFigures(t.Key, 0, 0, 0, 0, 0, 0, null, null, null, null, t.Value.Messages, t.Value.Rate)));
        return rows;
    }

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose() => _connection.Dispose();
}

/// <summary>Our report against DuckDB's rows: counts exactly, rates and seconds within <see cref="Tolerance"/>.</summary>
internal static class CrossCheck
{
    public const double Tolerance = 1e-9;

    public static int Compared { get; private set; }

    public static List<string> Compare(SlaReport report, List<DuckFigures> duck)
    {
        var mismatches = new List<string>();
        var compared = 0;
        void Count(string what, long ours, long theirs)
        {
            compared++;
            if (ours != theirs)
            {
                mismatches.Add($"{what}: calculator {ours}, DuckDB {theirs}");
            }
        }
        void Value(string what, decimal? ours, double? theirs)
        {
            compared++;
            if (ours is null != theirs is null || (ours is { } a && theirs is { } b && Math.Abs((double)a - b) > Tolerance))
            {
                mismatches.Add($"{what}: calculator {ours?.ToString(CultureInfo.InvariantCulture) ?? "null"}, DuckDB {theirs?.ToString("R", CultureInfo.InvariantCulture) ?? "null"}");
            }
        }
        void Figures(string name, BandFigures ours, DuckFigures? theirs, bool band)
        {
            theirs ??= new DuckFigures(name, 0, 0, 0, 0, 0, 0, null, null, null, null, 0, null);
            Count($"{name} inbound", ours.Inbound, theirs.Inbound);
            Count($"{name} answered", ours.Answered, theirs.Answered);
            Count($"{name} abandoned", ours.Abandoned, theirs.Abandoned);
            Count($"{name} shortAbandoned", ours.ShortAbandoned, theirs.ShortAbandoned);
            Count($"{name} missed", ours.Missed, theirs.Missed);
            Count($"{name} offered", ours.Offered, theirs.Offered);
            Value($"{name} answerRate", ours.AnswerRate, theirs.AnswerRate);
            Value($"{name} asaSeconds", ours.AsaSeconds, theirs.AsaSeconds);
            Value($"{name} p90PickupSeconds", ours.P90PickupSeconds, theirs.P90Seconds);
            Value($"{name} serviceLevel", ours.ServiceLevel, theirs.ServiceLevel);
            if (band)
            {
                Value($"{name} transmissionRate", ours.TransmissionRate, theirs.TransmissionRate);
            }
        }
        var byBand = duck.Where(d => d.Band is not null).ToDictionary(d => d.Band!, StringComparer.Ordinal);
        foreach (var band in report.Bands)
        {
            Figures(band.Band, band, byBand.GetValueOrDefault(band.Band), band: true);
        }
        foreach (var extra in byBand.Keys.Except(report.Bands.Select(b => b.Band)))
        {
            mismatches.Add($"band {extra}: only in DuckDB's answer");
        }
        var overall = duck.SingleOrDefault(d => d.Band is null);
        Figures("overall", report.Overall, overall, band: false);
        var calls = report.Calls;
        Count("calls inbound", calls.Inbound, overall?.Inbound ?? 0);
        Count("calls offered", calls.Offered, overall?.Offered ?? 0);
        Count("messages", report.Messages.Total, duck.Sum(d => d.Messages));
        Compared = compared;
        return mismatches;
    }
}

/// <summary>Part 2: the monthly job on Azurite, through the real composition, vs a plain read of its partition.</summary>
internal static class OnAzurite
{
    private const int ConcurrentBatches = 8;

    public static async Task<bool> RunAsync(Args options, List<string> summary)
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
        await using var provider = services.BuildServiceProvider();
        var job = provider.GetRequiredService<SlaReportJob>();
        var contracts = provider.GetRequiredService<ContractService>();
        var tables = provider.GetRequiredService<Tables>();
        var blobs = provider.GetRequiredService<BlobServiceClient>();

        // The last closed month in Paris: its report is final, written once, so the blob is deleted before each run.
        var time = provider.GetRequiredService<TimeProvider>();
        var paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
        var month = Instant.FromDateTimeOffset(time.GetUtcNow()).InZone(paris).Date.ToYearMonth().PlusMonths(-1);
        Console.WriteLine();
        Console.WriteLine($"## 2. On Azurite: SlaReportJob.RunAsync vs a plain read of the partition ({Months.Format(month)}, a closed month)");

        var clientIds = Enumerable.Range(0, options.JobClients).Select(i => $"sla-bench-{i}").ToList();
        foreach (var clientId in clientIds)
        {
            var saved = await contracts.PutAsync(clientId, Contracts.Configuration(month.OnDayOfMonth(1)), ClientScope.Everyone, CancellationToken.None);
            if (saved is not PutContractResult.Saved)
            {
                throw new InvalidOperationException($"Saving the contract of {clientId} failed: {saved}");
            }
        }

        var table = await tables.GetAsync(StorageNames.CallsByMonthTable, CancellationToken.None);
        var measured = clientIds[0];
        var partition = $"{measured}|{Months.Format(month)}";
        List<CallRecord>? measuredCalls = null;
        var writing = Stopwatch.StartNew();
        var written = 0;
        for (var c = 0; c < clientIds.Count; c++)
        {
            var data = Generator.Generate(clientIds[c], paris, month, options.JobCalls, messages: 0, seed: 7 + c);
            var start = month.OnDayOfMonth(1).AtStartOfDayInZone(paris).ToInstant();
            var end = month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(paris).ToInstant();
            // The month's partition holds the calls that started in the month (the others are in their own months).
            var calls = data.Calls.Where(call => call.StartedAt >= start && call.StartedAt < end).ToList();
            if (c == 0)
            {
                measuredCalls = calls;
            }
            written += await WriteAsync(table, $"{clientIds[c]}|{Months.Format(month)}", calls);
        }
        Console.WriteLine($"written: {written:N0} rows of {clientIds.Count} clients in table {StorageNames.CallsByMonthTable} in {writing.Elapsed.TotalSeconds:F1} s " +
            $"(batch transactions of 100, {ConcurrentBatches} at a time; the columns of TableCallStore.ToEntity); measured partition {partition}: {measuredCalls!.Count:N0} rows; no messages that month");

        var history = await contracts.GetHistoryAsync(measured, CancellationToken.None);
        var expected = SlaCalculator.Calculate(history!, month, measuredCalls, [], _ => MessageDeliveries.None);
        var report = blobs.GetBlobContainerClient(StorageNames.ReportsContainer).GetBlobClient($"{measured}/{Months.Format(month)}/{SlaReportJob.JsonFile}");

        async Task<double> JobAsync()
        {
            await report.DeleteIfExistsAsync();
            var started = Stopwatch.GetTimestamp();
            var outcome = await job.RunAsync(measured, month, CancellationToken.None);
            var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            if (outcome != SlaJobOutcome.Written)
            {
                throw new InvalidOperationException($"The job answered {outcome}, not Written.");
            }
            return ms;
        }
        async Task<(double Ms, int Rows)> PlainAsync()
        {
            var started = Stopwatch.GetTimestamp();
            var rows = 0;
            await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition}")))
            {
                rows++;
            }
            return (Stopwatch.GetElapsedTime(started).TotalMilliseconds, rows);
        }

        // Warm-up (connections, JIT, the client directory's cache, the reports container), then the written report
        // checked against the calculator over the same calls in memory: the job read what was written.
        await JobAsync();
        var warmRead = await PlainAsync();
        var json = JsonNode.Parse((await report.DownloadContentAsync()).Value.Content.ToString())!;
        var got = json["calls"].Deserialize<CallCounts>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        var ok = got == expected.Calls && warmRead.Rows == measuredCalls.Count && (bool)json["final"]!;
        Console.WriteLine(ok
            ? $"the job's sla-report.json agrees with the calculator over the same calls in memory: {got}; the plain read returned {warmRead.Rows:N0} rows"
            : $"MISMATCH: the job wrote {got}, the calculator in memory gives {expected.Calls}; the plain read returned {warmRead.Rows:N0} of {measuredCalls.Count:N0} rows");

        var rows = new List<(double Job, double Plain)>();
        for (var run = 1; run <= options.Runs; run++)
        {
            double jobMs, plainMs;
            if (run % 2 == 1)
            {
                jobMs = await JobAsync();
                plainMs = (await PlainAsync()).Ms;
            }
            else
            {
                plainMs = (await PlainAsync()).Ms;
                jobMs = await JobAsync();
            }
            rows.Add((jobMs, plainMs));
            Console.WriteLine($"run {run}: job {jobMs:F0} ms | plain read {plainMs:F0} ms | ratio {jobMs / plainMs:F2}");
        }
        var jobMedian = Stats.Median(rows.Select(r => r.Job));
        var plainMedian = Stats.Median(rows.Select(r => r.Plain));
        var ratio = Stats.Median(rows.Select(r => r.Job / r.Plain));
        Console.WriteLine();
        Console.WriteLine("| run | SlaReportJob.RunAsync ms | plain read ms | ratio |");
        Console.WriteLine("|---|---|---|---|");
        for (var i = 0; i < rows.Count; i++)
        {
            Console.WriteLine($"| {i + 1} | {rows[i].Job:F0} | {rows[i].Plain:F0} | {rows[i].Job / rows[i].Plain:F2} |");
        }
        Console.WriteLine($"| median | {jobMedian:F0} | {plainMedian:F0} | {ratio:F2} |");
        var met = ratio <= 1.3;
        Console.WriteLine();
        Console.WriteLine($"goal: job ≤ 1.3× the plain read of its partition, on the medians: {jobMedian:F0} ms vs {plainMedian:F0} ms, ratio {ratio:F2} → {(met ? "met" : "not met")}");
        summary.Add($"on Azurite ({measuredCalls.Count:N0} calls of one client among {written:N0}, {options.Runs} runs, medians): job {jobMedian:F0} ms, plain read {plainMedian:F0} ms, " +
            $"ratio {ratio:F2} (goal ≤ 1.3: {(met ? "met" : "not met")}); report {(ok ? "agrees with the calculator in memory" : "DIFFERS from the calculator in memory")}");
        return ok;
    }

    /// <summary>
    /// Straight into the index table in batch transactions: the index port writes one call at a time, as ingestion
    /// does, which would make seeding take most of the run. The columns are those of TableCallStore.ToEntity, and
    /// the job's report is checked against the calculator over the same calls.
    /// </summary>
    private static async Task<int> WriteAsync(TableClient table, string partition, List<CallRecord> calls)
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
        return calls.Count;
    }
}

/// <summary>The month's generated records: calls, messages and their delivery histories.</summary>
internal sealed record MonthData(List<CallRecord> Calls, List<Message> Messages, Dictionary<string, MessageDeliveries> Deliveries);

/// <summary>
/// A telephone answering month from a fixed seed: most calls in business hours, some in the evening, on Saturday
/// mornings and at any hour; 85 % answered (pickup 1 s plus an exponential of mean 9 s), 6 % abandoned after 5 s to
/// 2 min (5 s exactly included: not short), 4 % abandoned under 5 s, 1 % abandoned with no end, 3 % missed, 1 %
/// voicemail; plus 1 % outbound calls and 1 % inbound calls of the neighbouring months, which the report leaves out.
/// Messages have a first step that ran with a sent attempt after 1 s to 10 min (10 min exactly included) for most,
/// later for some; some failed first, some went to step 1, some reached no one but the fallback, some were not routed.
/// </summary>
internal static class Generator
{
    private static readonly (string Id, Priority Priority)[] Scenarios = [("rdv", Priority.Standard), ("resultats", Priority.Important), ("urgence", Priority.Critical)];

    public static MonthData Generate(string clientId, DateTimeZone zone, YearMonth month, int inbound, int messages, int seed)
    {
        var random = new Random(seed);
        var days = month.Calendar.GetDaysInMonth(month.Year, month.Month);
        var start = month.OnDayOfMonth(1).AtStartOfDayInZone(zone).ToInstant();
        var end = month.PlusMonths(1).OnDayOfMonth(1).AtStartOfDayInZone(zone).ToInstant();
        Instant When()
        {
            var day = month.OnDayOfMonth(1 + random.Next(days));
            var r = random.NextDouble();
            // Minutes of the local day: business hours, evening, Saturday-morning hours, any hour.
            var (from, to) = r < 0.70 ? (510, 1110) : r < 0.82 ? (1110, 1320) : r < 0.87 ? (540, 720) : (0, 1440);
            var ms = from * 60_000L + random.NextInt64((to - from) * 60_000L);
            return day.AtMidnight().PlusMilliseconds(ms).InZoneLeniently(zone).ToInstant();
        }
        Duration Ms(long from, long to) => Duration.FromMilliseconds(random.NextInt64(from, to));

        var calls = new List<CallRecord>(inbound + inbound / 50);
        for (var i = 0; i < inbound; i++)
        {
            calls.Add(Call(clientId, $"c{i:D7}", CallDirections.Inbound, When(), random));
        }
        for (var i = 0; i < inbound / 100; i++)
        {
            calls.Add(Call(clientId, $"o{i:D7}", CallDirections.Outbound, When(), random));
            var outside = random.Next(2) == 0 ? start - Ms(1, 72 * 3_600_000L) : end + Ms(0, 72 * 3_600_000L);
            calls.Add(Call(clientId, $"x{i:D7}", CallDirections.Inbound, outside, random));
        }

        var list = new List<Message>(messages);
        var deliveries = new Dictionary<string, MessageDeliveries>(messages, StringComparer.Ordinal);
        for (var i = 0; i < messages; i++)
        {
            var taken = When();
            var s = random.NextDouble();
            var (scenario, priority) = Scenarios[s < 0.70 ? 0 : s < 0.95 ? 1 : 2];
            var complete = random.NextDouble() < 0.95;
            var id = $"m{i:D7}";
            list.Add(new Message
            {
                Id = id,
                ClientId = clientId,
                Scenario = scenario,
                TakenAt = taken,
                ReceivedAt = taken + Duration.FromSeconds(2),
                Priority = priority,
                Qualification = new Qualification(complete, complete ? [] : ["preferredDate"], []),
                ConfigurationVersion = 1,
                RequestHash = "bench",
                SubmittedBy = "bench",
            });
            StepRecord Step(int step, string status) => new() { MessageId = id, ClientId = clientId, Step = step, Status = status, Contacts = ["accueil"], StartedAt = taken };
            DeliveryAttempt Attempt(int step, string channel, int attempt, string status, Instant? sentAt) => new()
            {
                MessageId = id, ClientId = clientId, Step = step, ContactId = "accueil", Channel = channel, Attempt = attempt, Status = status,
                CreatedAt = sentAt ?? taken, SentAt = sentAt,
            };
            Instant Delivered() => taken + (random.NextDouble() < 0.85 ? Ms(1_000, 600_001) : Ms(600_001, 3_600_000));
            var r = random.NextDouble();
            if (r < 0.02)
            {
                continue; // not routed yet
            }
            if (r < 0.05)
            {
                deliveries[id] = new MessageDeliveries([Step(0, StepStatus.Skipped), Step(1, StepStatus.Ran)], [Attempt(1, "email", 0, DeliveryStatus.Sent, Delivered())]);
            }
            else if (r < 0.08)
            {
                deliveries[id] = new MessageDeliveries(
                    [Step(0, StepStatus.Ran), Step(RoutingService.FallbackStep, StepStatus.Ran)],
                    [Attempt(0, "email", 0, DeliveryStatus.Failed, null), Attempt(RoutingService.FallbackStep, "email", 0, DeliveryStatus.Sent, Delivered())]);
            }
            else
            {
                var attempts = new List<DeliveryAttempt>();
                if (random.NextDouble() < 0.20)
                {
                    attempts.Add(Attempt(0, "sms", 0, DeliveryStatus.Failed, null));
                }
                attempts.Add(Attempt(0, "email", 0, DeliveryStatus.Sent, Delivered()));
                if (random.NextDouble() < 0.10)
                {
                    attempts.Add(Attempt(0, "webhook", 0, DeliveryStatus.Sent, Delivered()));
                }
                deliveries[id] = new MessageDeliveries([Step(0, StepStatus.Ran)], attempts);
            }
        }
        return new MonthData(calls, list, deliveries);
    }

    private static CallRecord Call(string clientId, string callId, string direction, Instant started, Random random)
    {
        Duration Ms(long from, long to) => Duration.FromMilliseconds(random.NextInt64(from, to));
        var r = random.NextDouble();
        Instant? answered = null, ended;
        string outcome;
        if (r < 0.85)
        {
            var pickup = Math.Min(300_000L, 1_000 + (long)(-Math.Log(1 - random.NextDouble()) * 9_000));
            answered = started + Duration.FromMilliseconds(pickup);
            ended = answered + Ms(30_000, 600_000);
            outcome = CallOutcomes.Answered;
        }
        else if (r < 0.91)
        {
            ended = started + Ms(5_000, 120_000);
            outcome = CallOutcomes.Abandoned;
        }
        else if (r < 0.95)
        {
            ended = started + Ms(0, 5_000);
            outcome = CallOutcomes.Abandoned;
        }
        else if (r < 0.96)
        {
            ended = null;
            outcome = CallOutcomes.Abandoned;
        }
        else if (r < 0.99)
        {
            ended = started + Ms(20_000, 60_000);
            outcome = CallOutcomes.Missed;
        }
        else
        {
            ended = started + Ms(30_000, 90_000);
            outcome = CallOutcomes.Voicemail;
        }
        return new CallRecord
        {
            Provider = "aircall",
            CallId = callId,
            Direction = direction,
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

/// <summary>The contract of samples/althea.json (Europe/Paris; business, evening and Saturday-morning bands; "closed" otherwise).</summary>
internal static class Contracts
{
    public static ClientConfiguration Configuration(LocalDate effectiveFrom)
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "althea.json")))!.AsObject();
        json["effectiveFrom"] = effectiveFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        // Numbers are owned by one client at a time; the bench's clients own none (their calls are written directly).
        json["numbers"] = new JsonArray();
        // Targets on every open band, with transmission in the evening and on Saturday too, so that each rule is exercised.
        var targets = json["sla"]!["targets"]!.AsArray();
        targets[1]!["transmissionMinutes"] = 20;
        targets[1]!["transmissionRate"] = 0.90;
        targets.Add(new JsonObject
        {
            ["band"] = "saturday", ["answerRate"] = 0.90, ["serviceLevelSeconds"] = 30, ["serviceLevel"] = 0.75, ["transmissionMinutes"] = 15, ["transmissionRate"] = 0.90,
        });
        return json.Deserialize<ClientConfiguration>(ContractService.Json)!;
    }

    public static ContractHistory History(string clientId, LocalDate effectiveFrom)
    {
        var errors = new ValidationErrors();
        var version = ConfigurationValidator.Validate(clientId, Configuration(effectiveFrom), errors, version: 1)
            ?? throw new InvalidOperationException("The bench's contract is invalid: " + string.Join("; ", errors.ToDictionary().Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        return new ContractHistory([version]);
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

internal sealed record Args(string? Storage, int Runs, int Calls, int Messages, int JobCalls, int JobClients, string Part, YearMonth MemoryMonth)
{
    public static Args Parse(string[] args)
    {
        string? Get(string name, string? fallback)
        {
            var i = Array.IndexOf(args, $"--{name}");
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int Int(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture))!, CultureInfo.InvariantCulture);
        var part = Get("part", "all")!;
        if (part is not ("all" or "memory" or "azurite"))
        {
            throw new ArgumentException("--part is all, memory or azurite");
        }
        var month = DateOnly.ParseExact(Get("month", "2026-10")! + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return new Args(Get("storage", null), Int("runs", 5), Int("calls", 1_000_000), Int("messages", 100_000), Int("job-calls", 100_000), Int("job-clients", 3), part,
            new YearMonth(month.Year, month.Month));
    }
}
