using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Permanence.Http.Endpoints;

namespace Permanence.Functions;

// Functions use AuthorizationLevel.Anonymous: every route checks the bearer API key itself (README, "HTTP API").
public class ClientFunctions(ClientEndpoints endpoints)
{
    [Function(nameof(PutClient))]
    public Task<IActionResult> PutClient([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "clients/{clientId}")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.PutAsync(request, clientId));

    [Function(nameof(GetClient))]
    public Task<IActionResult> GetClient([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "clients/{clientId}")] HttpRequest request, string clientId) =>
        ResultAction.From(endpoints.GetAsync(request, clientId));
}
