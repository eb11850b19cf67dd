using Microsoft.Extensions.Diagnostics.HealthChecks;
using Permanence.Core.Clients;

namespace Permanence.Http;

/// <summary>Readiness: storage (tables, blobs and, when used, queues) answers. Registered with the "ready" tag.</summary>
public sealed class StorageHealthCheck(IStorageHealthProbe storage) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await storage.IsReachableAsync(cancellationToken)
            ? HealthCheckResult.Healthy("storage reachable")
            : HealthCheckResult.Unhealthy("storage unreachable");
}
