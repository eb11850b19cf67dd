using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

public class MessageFunctions(MessageEndpoints endpoints)
{
    [Function(nameof(PostMessage))]
    public Task<IActionResult> PostMessage([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "messages")] HttpRequest request) =>
        ResultAction.From(endpoints.PostAsync(request));

    [Function(nameof(GetMessage))]
    public Task<IActionResult> GetMessage([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "messages/{id}")] HttpRequest request, string id) =>
        ResultAction.From(endpoints.GetAsync(request, id));
}
