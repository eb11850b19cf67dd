using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

public class HealthFunctions(HealthEndpoints endpoints)
{
    [Function(nameof(Health))]
    public Task<IActionResult> Health([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request) =>
        ResultAction.From(endpoints.GetAsync(request));

    [Function(nameof(Liveness))]
    public Task<IActionResult> Liveness([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health/live")] HttpRequest request) =>
        ResultAction.From(endpoints.GetLiveAsync(request));
}
