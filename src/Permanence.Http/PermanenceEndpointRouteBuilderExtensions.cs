using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Permanence.Http.Endpoints;

namespace Permanence.Http;

public static class PermanenceEndpointRouteBuilderExtensions
{
    /// <summary>The HTTP contract of DESIGN.md §4 for the standalone host; the Functions host declares the same routes as triggers.</summary>
    public static IEndpointRouteBuilder MapPermanenceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/health", (HttpRequest r, HealthEndpoints e) => e.GetAsync(r));
        api.MapPut("/clients/{clientId}", (HttpRequest r, string clientId, ClientEndpoints e) => e.PutAsync(r, clientId));
        api.MapGet("/clients/{clientId}", (HttpRequest r, string clientId, ClientEndpoints e) => e.GetAsync(r, clientId));
        return app;
    }
}
