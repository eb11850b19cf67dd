using Permanence.Standalone.Workers;

namespace Permanence.Standalone;

public static class StandaloneServiceCollectionExtensions
{
    public const string WorkersEnabledKey = "Permanence:Standalone:BackgroundWorkers";

    /// <summary>
    /// What the Functions host gets from triggers: the routing queue consumer and the outbox sweeper.
    /// <c>Permanence:Standalone:BackgroundWorkers=false</c> turns them off (tests drive them directly); it is
    /// read when the workers start, so every configuration source counts.
    /// </summary>
    public static IServiceCollection AddStandaloneWorkers(this IServiceCollection services)
    {
        services.AddHostedService<RoutingQueueWorker>();
        services.AddHostedService<RoutingOutboxSweeper>();
        services.AddHostedService<MonthlyJobsScheduler>();
        return services;
    }

    public static bool WorkersEnabled(this IConfiguration configuration) => configuration.GetValue(WorkersEnabledKey, defaultValue: true);
}
