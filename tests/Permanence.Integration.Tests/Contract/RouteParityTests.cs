using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Integration.Tests.Hosts;
using Xunit.Sdk;

namespace Permanence.Integration.Tests.Contract;

/// <summary>
/// Both hosts expose the same HTTP contract (README, HTTP API): the same (method, route template) set, compared
/// from what each host really declares — Standalone's endpoint data source, the Functions app's [HttpTrigger]s
/// under host.json's routePrefix.
/// </summary>
public sealed class RouteParityTests(HostFixture<StandaloneHost.Factory> standalone, HostFixture<FunctionsHost.Factory> functions)
    : IClassFixture<HostFixture<StandaloneHost.Factory>>, IClassFixture<HostFixture<FunctionsHost.Factory>>
{
    private static string FunctionsRoutePrefix =>
        (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "host.json")))!["extensions"]?["http"]?["routePrefix"] ?? "api";

    [Fact]
    public void BothHosts_DeclareTheSameMethodsAndRouteTemplates()
    {
        var standaloneRoutes = standalone.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => Route(method, e.RoutePattern.RawText ?? "")))
            .ToHashSet();
        var functionsRoutes = FunctionsHost.HttpFunctions
            .SelectMany(f => (f.HttpMethods.Length == 0 ? ["*"] : f.HttpMethods)
                .Select(method => Route(method, $"{FunctionsRoutePrefix}/{f.Route}")))
            .ToHashSet();

        Assert.Contains("GET api/clients/{clientId}", standaloneRoutes); // the endpoints were found at all
        Assert.Equal(standaloneRoutes.Order(StringComparer.Ordinal), functionsRoutes.Order(StringComparer.Ordinal));
        Assert.Equal(standaloneRoutes.Count, FunctionsHost.HttpFunctions.Sum(f => f.HttpMethods.Length)); // no duplicate trigger
    }

    [Fact]
    public async Task RouteNeitherHostHas_IsABare404_ThatTheNotFoundCheckRefuses()
    {
        // What a missing route answers: not the application's problem+json 404, so every "not found" assertion
        // (Api.AssertNotFoundProblemAsync) fails on it rather than taking it for a missing resource.
        foreach (var host in new[] { standalone.Host, functions.Host })
        {
            var response = await host.CreateClient().SendAsync(Api.Request(HttpMethod.Get, "/api/no-such-route/x", TestKeys.Admin));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, response.StatusCode);
            await Assert.ThrowsAnyAsync<XunitException>(response.AssertNotFoundProblemAsync);
        }
    }

    private static string Route(string method, string template) => $"{method.ToUpperInvariant()} {template.Trim('/')}";
}
