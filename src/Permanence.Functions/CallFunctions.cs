using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

public class CallFunctions(CallEndpoints endpoints)
{
    [Function(nameof(PostCalls))]
    public Task<IActionResult> PostCalls([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "calls")] HttpRequest request) =>
        ResultAction.From(endpoints.PostAsync(request));

    [Function(nameof(GetCall))]
    public Task<IActionResult> GetCall([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "calls/{provider}/{callId}")] HttpRequest request, string provider, string callId) =>
        ResultAction.From(endpoints.GetAsync(request, provider, callId));
}
