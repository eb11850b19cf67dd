using Cronos;
using Permanence.Core.Jobs;

namespace Permanence.Standalone.Workers;

/// <summary>
/// Standalone stand-in for the monthly jobs' timer functions: both runs once at start (a stopped process catches
/// up), then reports at <c>Permanence:Standalone:SlaReportSchedule</c> and exports at
/// <c>Permanence:Standalone:ExportSchedule</c> (cron, UTC; by default minutes 5 and 35 of every hour, as in the
/// Functions host). Waiting is on the injected clock.
/// </summary>
public sealed class MonthlyJobsScheduler(MonthlyJobService jobs, TimeProvider time, IConfiguration configuration, ILogger<MonthlyJobsScheduler> logger) : BackgroundService
{
    public const string ReportScheduleKey = "Permanence:Standalone:SlaReportSchedule";
    public const string ExportScheduleKey = "Permanence:Standalone:ExportSchedule";
    public const string DefaultReportSchedule = "5 * * * *";
    public const string DefaultExportSchedule = "35 * * * *";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.WorkersEnabled())
        {
            return;
        }
        var reports = CronExpression.Parse(configuration[ReportScheduleKey] ?? DefaultReportSchedule);
        var exports = CronExpression.Parse(configuration[ExportScheduleKey] ?? DefaultExportSchedule);
        await RunAsync("reports", jobs.RunReportsAsync, stoppingToken);
        await RunAsync("exports", jobs.RunExportsAsync, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var nextReport = reports.GetNextOccurrence(now, TimeZoneInfo.Utc);
            var nextExport = exports.GetNextOccurrence(now, TimeZoneInfo.Utc);
            if (nextReport is null && nextExport is null)
            {
                return;
            }
            var reportFirst = nextExport is null || (nextReport is { } r && r <= nextExport);
            await Task.Delay((reportFirst ? nextReport!.Value : nextExport!.Value) - now, time, stoppingToken);
            await (reportFirst ? RunAsync("reports", jobs.RunReportsAsync, stoppingToken) : RunAsync("exports", jobs.RunExportsAsync, stoppingToken));
        }
    }

    private async Task RunAsync(string what, Func<CancellationToken, Task<MonthlyJobRun>> run, CancellationToken stoppingToken)
    {
        try
        {
            await run(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Monthly {Jobs} run failed; the next run tries again", what);
        }
    }
}
