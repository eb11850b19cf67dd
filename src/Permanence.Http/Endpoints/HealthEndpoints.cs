using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Permanence.Http.Endpoints;

/// <summary>
/// Liveness and readiness from the registered health checks, the same in both hosts. No authentication, no
/// details beyond healthy/unhealthy.
/// </summary>
public sealed class HealthEndpoints(HealthCheckService checks)
{
    /// <summary>GET /health (readiness): 200 when storage answers, 503 otherwise.</summary>
    public async Task<IResult> GetAsync(HttpRequest request)
    {
        var report = await checks.CheckHealthAsync(c => c.Tags.Contains(StorageHealthCheck.ReadyTag), request.HttpContext.RequestAborted);
        return report.Status == HealthStatus.Healthy
            ? TypedResults.Ok(new HealthResponse("healthy", "reachable"))
            : TypedResults.Json(new HealthResponse("unhealthy", "unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    /// <summary>GET /health/live (liveness): 200 while the process serves requests; no dependency is asked.</summary>
    public async Task<IResult> GetLiveAsync(HttpRequest request)
    {
        var report = await checks.CheckHealthAsync(_ => false, request.HttpContext.RequestAborted);
        return TypedResults.Ok(new LivenessResponse(report.Status == HealthStatus.Healthy ? "alive" : "degraded"));
    }
}
