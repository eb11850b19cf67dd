using Microsoft.Extensions.Logging;
using NodaTime;
using Permanence.Core.Exports;
using Permanence.Core.Sla;

namespace Permanence.Core.Jobs;

/// <summary>What one hourly run did (exports: <see cref="ReportsWritten"/> counts the exports written).</summary>
public sealed record MonthlyJobRun(int Clients, int ReportsWritten, int ReportsEmailed, int Failures);

/// <summary>
/// The hourly monthly jobs (docs/architecture.md, "Monthly jobs"), run by the timer functions and by the Standalone
/// schedule alike. A month closes at local midnight in each client's zone, so every run looks at every client's
/// row of the jobs index and handles the closed months not yet done, oldest first: a missed, late or doubled run
/// loses nothing and duplicates nothing, and a run with nothing to do reads that index only.
/// </summary>
public sealed class MonthlyJobService(
    IMonthlyJobIndex index,
    SlaReportJob reports,
    SlaReportMailer mailer,
    ExportJob exports,
    TimeProvider time,
    ILogger<MonthlyJobService> logger)
{
    /// <summary>Final reports of every closed month lacking one, each emailed to the client's report recipients.</summary>
    public async Task<MonthlyJobRun> RunReportsAsync(CancellationToken cancellationToken)
    {
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        int clients = 0, written = 0, emailed = 0, failures = 0;
        await foreach (var entry in index.ListAsync(cancellationToken))
        {
            clients++;
            if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(entry.ZoneId) is not { } zone)
            {
                continue;
            }
            var lastClosed = now.InZone(zone).Date.ToYearMonth().PlusMonths(-1);
            var month = entry.ReportedThrough is { } done && done >= entry.FirstMonth ? done.PlusMonths(1) : entry.FirstMonth;
            for (; month <= lastClosed; month = month.PlusMonths(1))
            {
                try
                {
                    var outcome = await reports.RunAsync(entry.ClientId, month, cancellationToken);
                    if (outcome is SlaJobOutcome.BeforeContract)
                    {
                        // The row names an earlier first month than the stored versions (a save that failed after
                        // registering): nothing to report for it, and the months after it go on.
                        await index.MarkReportedAsync(entry.ClientId, month, cancellationToken);
                        continue;
                    }
                    if (outcome is not (SlaJobOutcome.Written or SlaJobOutcome.AlreadyFinal))
                    {
                        // An unknown client (a row whose configuration was never committed), or a month not closed
                        // in the zone of its latest version: nothing to do yet.
                        break;
                    }
                    written += outcome is SlaJobOutcome.Written ? 1 : 0;
                    var mail = await mailer.SendAsync(entry.ClientId, month, cancellationToken);
                    if (mail == ReportMailOutcome.RetryLater)
                    {
                        failures++;
                        break; // the next run sends it again; later months wait so that progress stays in order
                    }
                    emailed += mail == ReportMailOutcome.Sent ? 1 : 0;
                    await index.MarkReportedAsync(entry.ClientId, month, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One client's failure must not starve the others; its months are tried again next hour.
                    failures++;
                    logger.LogError(e, "Monthly report of client {ClientId} for {Period} failed", entry.ClientId, SlaPeriod.Format(month));
                    break;
                }
            }
        }
        logger.LogInformation("Monthly reports run: {Clients} clients, {Written} reports written, {Emailed} emailed, {Failures} failures",
            clients, written, emailed, failures);
        return new MonthlyJobRun(clients, written, emailed, failures);
    }

    /// <summary>
    /// The export of every closed month lacking one (README, "Reversibility exports"); an export makes its month's
    /// report first when the report run has not, so it never goes out without it.
    /// </summary>
    public async Task<MonthlyJobRun> RunExportsAsync(CancellationToken cancellationToken)
    {
        var now = Instant.FromDateTimeOffset(time.GetUtcNow());
        int clients = 0, written = 0, failures = 0;
        await foreach (var entry in index.ListAsync(cancellationToken))
        {
            clients++;
            if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(entry.ZoneId) is not { } zone)
            {
                continue;
            }
            var lastClosed = now.InZone(zone).Date.ToYearMonth().PlusMonths(-1);
            var month = entry.ExportedThrough is { } done && done >= entry.FirstMonth ? done.PlusMonths(1) : entry.FirstMonth;
            for (; month <= lastClosed; month = month.PlusMonths(1))
            {
                try
                {
                    var outcome = await exports.RunAsync(entry.ClientId, month, cancellationToken);
                    if (outcome is ExportJobOutcome.OutOfContract)
                    {
                        await index.MarkExportedAsync(entry.ClientId, month, cancellationToken);
                        continue; // before the stored versions' first month: nothing to export
                    }
                    if (outcome is not (ExportJobOutcome.Written or ExportJobOutcome.AlreadyComplete))
                    {
                        break;
                    }
                    written += outcome is ExportJobOutcome.Written ? 1 : 0;
                    await index.MarkExportedAsync(entry.ClientId, month, cancellationToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failures++;
                    logger.LogError(e, "Monthly export of client {ClientId} for {Period} failed", entry.ClientId, SlaPeriod.Format(month));
                    break;
                }
            }
        }
        logger.LogInformation("Monthly exports run: {Clients} clients, {Written} exports written, {Failures} failures", clients, written, failures);
        return new MonthlyJobRun(clients, written, 0, failures);
    }
}
