using Cronos;
using Permanence.Core.Jobs;
using Permanence.Core.Offboarding;

namespace Permanence.Standalone.Workers;

/// <summary>
/// Standalone stand-in for the timer functions: each job runs once at start (a stopped process catches up), then
/// reports at <c>Permanence:Standalone:SlaReportSchedule</c>, exports at <c>Permanence:Standalone:ExportSchedule</c>
/// (cron, UTC; by default minutes 5 and 35 of every hour, as in the Functions host) and retention at
/// <c>Permanence:Standalone:RetentionSchedule</c> (02:15 every day). Waiting is on the injected clock.
/// </summary>
public sealed class MonthlyJobsScheduler(MonthlyJobService jobs, RetentionJob retention, TimeProvider time, IConfiguration configuration, ILogger<MonthlyJobsScheduler> logger) : BackgroundService
{
    public const string ReportScheduleKey = "Permanence:Standalone:SlaReportSchedule";
    public const string ExportScheduleKey = "Permanence:Standalone:ExportSchedule";
    public const string RetentionScheduleKey = "Permanence:Standalone:RetentionSchedule";
    public const string DefaultReportSchedule = "5 * * * *";
    public const string DefaultExportSchedule = "35 * * * *";
    public const string DefaultRetentionSchedule = "15 2 * * *";

    private sealed record Job(string Name, CronExpression Schedule, Func<CancellationToken, Task> Run);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.WorkersEnabled())
        {
            return;
        }
        Job[] schedule =
        [
            new("reports", CronExpression.Parse(configuration[ReportScheduleKey] ?? DefaultReportSchedule), jobs.RunReportsAsync),
            new("exports", CronExpression.Parse(configuration[ExportScheduleKey] ?? DefaultExportSchedule), jobs.RunExportsAsync),
            new("retention", CronExpression.Parse(configuration[RetentionScheduleKey] ?? DefaultRetentionSchedule), retention.RunAsync),
        ];
        foreach (var job in schedule)
        {
            await RunAsync(job, stoppingToken);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = schedule
                .Select(job => (Job: job, At: job.Schedule.GetNextOccurrence(now, TimeZoneInfo.Utc)))
                .Where(n => n.At is not null)
                .OrderBy(n => n.At)
                .FirstOrDefault();
            if (next.Job is null)
            {
                return;
            }
            await Task.Delay(next.At!.Value - now, time, stoppingToken);
            await RunAsync(next.Job, stoppingToken);
        }
    }

    private async Task RunAsync(Job job, CancellationToken stoppingToken)
    {
        try
        {
            await job.Run(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Scheduled {Job} run failed; the next run tries again", job.Name);
        }
    }
}
