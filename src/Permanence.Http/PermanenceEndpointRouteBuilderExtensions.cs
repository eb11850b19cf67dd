using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Permanence.Http.Endpoints;

namespace Permanence.Http;

public static class PermanenceEndpointRouteBuilderExtensions
{
    /// <summary>The HTTP contract (README, "HTTP API") for the standalone host; the Functions host declares the same routes as triggers.</summary>
    public static IEndpointRouteBuilder MapPermanenceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/health", (HttpRequest r, HealthEndpoints e) => e.GetAsync(r));
        api.MapPut("/clients/{clientId}", (HttpRequest r, string clientId, ClientEndpoints e) => e.PutAsync(r, clientId));
        api.MapGet("/clients/{clientId}", (HttpRequest r, string clientId, ClientEndpoints e) => e.GetAsync(r, clientId));
        api.MapPost("/telephony/twilio", (HttpRequest r, TelephonyEndpoints e) => e.TwilioAsync(r));
        api.MapPost("/telephony/aircall", (HttpRequest r, TelephonyEndpoints e) => e.AircallAsync(r));
        api.MapPost("/calls", (HttpRequest r, CallEndpoints e) => e.PostAsync(r));
        api.MapGet("/calls/{provider}/{callId}", (HttpRequest r, string provider, string callId, CallEndpoints e) => e.GetAsync(r, provider, callId));
        api.MapPost("/messages", (HttpRequest r, MessageEndpoints e) => e.PostAsync(r));
        api.MapGet("/messages/{id}", (HttpRequest r, string id, MessageEndpoints e) => e.GetAsync(r, id));
        return app;
    }
}
