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
    /// <summary>What handling one month came to: whether to record it as done, and whether to go on to the next.</summary>
    private enum MonthStep
    {
        /// <summary>Done, and this run wrote it.</summary>
        Written,

        /// <summary>Done (already there, or nothing to do for that month).</summary>
        Done,

        /// <summary>Not yet (an unknown client, a month not closed in the zone in force, an email to retry): later months wait.</summary>
        Wait,

        /// <summary>Like <see cref="Wait"/>, counted as a failure.</summary>
        Retry,
    }

    /// <summary>Final reports of every closed month lacking one, each emailed to the client's report recipients.</summary>
    public async Task<MonthlyJobRun> RunReportsAsync(CancellationToken cancellationToken)
    {
        var emailed = 0;
        var run = await CatchUpAsync("report", e => e.ReportedThrough, index.MarkReportedAsync, async (clientId, month) =>
        {
            var outcome = await reports.RunAsync(clientId, month, cancellationToken);
            switch (outcome)
            {
                case SlaJobOutcome.BeforeContract:
                    // The row names an earlier first month than the stored versions (a save that failed after
                    // registering): nothing to report for it, and the months after it go on.
                    return MonthStep.Done;
                case SlaJobOutcome.Written or SlaJobOutcome.AlreadyFinal:
                    var mail = await mailer.SendAsync(clientId, month, cancellationToken);
                    if (mail == ReportMailOutcome.RetryLater)
                    {
                        return MonthStep.Retry; // the next run sends it again; later months wait so that progress stays in order
                    }
                    emailed += mail == ReportMailOutcome.Sent ? 1 : 0;
                    return outcome == SlaJobOutcome.Written ? MonthStep.Written : MonthStep.Done;
                default:
                    return MonthStep.Wait;
            }
        }, cancellationToken);
        return run with { ReportsEmailed = emailed };
    }

    /// <summary>
    /// The export of every closed month lacking one (README, "Reversibility exports"); an export makes its month's
    /// report first when the report run has not, so it never goes out without it.
    /// </summary>
    public Task<MonthlyJobRun> RunExportsAsync(CancellationToken cancellationToken) =>
        CatchUpAsync("export", e => e.ExportedThrough, index.MarkExportedAsync, async (clientId, month) =>
            await exports.RunAsync(clientId, month, cancellationToken) switch
            {
                ExportJobOutcome.Written => MonthStep.Written,
                // Before the stored versions' first month there is nothing to export.
                ExportJobOutcome.AlreadyComplete or ExportJobOutcome.OutOfContract => MonthStep.Done,
                _ => MonthStep.Wait,
            }, cancellationToken);

    /// <summary>
    /// For each client of the jobs index, the months after its progress up to the last one closed in its zone,
    /// oldest first, each recorded as done once handled. One client's failure does not starve the others: its
    /// months are tried again at the next run.
    /// </summary>
    private async Task<MonthlyJobRun> CatchUpAsync(
        string job,
        Func<MonthlyJobEntry, YearMonth?> doneThrough,
        Func<string, YearMonth, CancellationToken, Task> markDone,
        Func<string, YearMonth, Task<MonthStep>> handle,
        CancellationToken cancellationToken)
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
            var month = doneThrough(entry) is { } done && done >= entry.FirstMonth ? done.PlusMonths(1) : entry.FirstMonth;
            for (; month <= lastClosed; month = month.PlusMonths(1))
            {
                MonthStep step;
                try
                {
                    step = await handle(entry.ClientId, month);
                    if (step is MonthStep.Written or MonthStep.Done)
                    {
                        await markDone(entry.ClientId, month, cancellationToken);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogError(e, "Monthly {Job} of client {ClientId} for {Period} failed", job, entry.ClientId, SlaPeriod.Format(month));
                    step = MonthStep.Retry;
                }
                written += step == MonthStep.Written ? 1 : 0;
                failures += step == MonthStep.Retry ? 1 : 0;
                if (step is MonthStep.Wait or MonthStep.Retry)
                {
                    break;
                }
            }
        }
        logger.LogInformation("Monthly {Job} run: {Clients} clients, {Written} written, {Failures} failures", job, clients, written, failures);
        return new MonthlyJobRun(clients, written, 0, failures);
    }
}
