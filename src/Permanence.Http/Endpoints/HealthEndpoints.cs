using Microsoft.AspNetCore.Http;
using Permanence.Core.Clients;

namespace Permanence.Http.Endpoints;

public sealed class HealthEndpoints(IStorageHealthProbe storage)
{
    /// <summary>GET /health: 200 when storage answers, 503 otherwise. No authentication, no details.</summary>
    public async Task<IResult> GetAsync(HttpRequest request)
    {
        var reachable = await storage.IsReachableAsync(request.HttpContext.RequestAborted);
        return reachable
            ? TypedResults.Ok(new HealthResponse("healthy", "reachable"))
            : TypedResults.Json(new HealthResponse("unhealthy", "unreachable"), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
