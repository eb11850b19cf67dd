using Permanence.Standalone.Workers;

namespace Permanence.Standalone;

public static class StandaloneServiceCollectionExtensions
{
    /// <summary>
    /// What the Functions host gets from triggers: the routing queue consumer and the outbox sweeper.
    /// <c>Permanence:Standalone:BackgroundWorkers=false</c> turns them off (tests drive them directly).
    /// </summary>
    public static IServiceCollection AddStandaloneWorkers(this IServiceCollection services, IConfiguration configuration)
    {
        if (configuration.GetValue("Permanence:Standalone:BackgroundWorkers", defaultValue: true))
        {
            services.AddHostedService<RoutingQueueWorker>();
            services.AddHostedService<RoutingOutboxSweeper>();
        }
        return services;
    }
}
