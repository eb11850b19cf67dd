using Cronos;
using Permanence.Core.Jobs;

namespace Permanence.Standalone.Workers;

/// <summary>
/// Standalone stand-in for the monthly jobs' timer functions: once at start (a stopped process catches up), then
/// at every <c>Permanence:Standalone:SlaReportSchedule</c> (cron, UTC; by default minute 5 of every hour, as in
/// the Functions host). Waiting is on the injected clock.
/// </summary>
public sealed class MonthlyJobsScheduler(MonthlyJobService jobs, TimeProvider time, IConfiguration configuration, ILogger<MonthlyJobsScheduler> logger) : BackgroundService
{
    public const string ScheduleKey = "Permanence:Standalone:SlaReportSchedule";
    public const string DefaultSchedule = "5 * * * *";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.WorkersEnabled())
        {
            return;
        }
        var schedule = CronExpression.Parse(configuration[ScheduleKey] ?? DefaultSchedule);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await jobs.RunReportsAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Monthly SLA reports run failed; the next run tries again");
            }
            var now = time.GetUtcNow();
            if (schedule.GetNextOccurrence(now, TimeZoneInfo.Utc) is not { } next)
            {
                return;
            }
            await Task.Delay(next - now, time, stoppingToken);
        }
    }
}
