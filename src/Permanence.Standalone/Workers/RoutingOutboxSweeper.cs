using Permanence.Core.Messages;

namespace Permanence.Standalone.Workers;

/// <summary>Standalone stand-in for the Functions timer: sweeps the routing outbox every minute.</summary>
public sealed class RoutingOutboxSweeper(MessageService messages, TimeProvider time, IConfiguration configuration, ILogger<RoutingOutboxSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.WorkersEnabled())
        {
            return;
        }
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            try
            {
                var enqueued = await messages.SweepAsync(stoppingToken);
                if (enqueued > 0)
                {
                    logger.LogInformation("Routing outbox sweep enqueued {Count} messages", enqueued);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Routing outbox sweep failed; next try in {Period}", Period);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
