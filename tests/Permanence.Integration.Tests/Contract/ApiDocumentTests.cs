using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>
/// The OpenAPI document (docs/openapi.json) is the HTTP contract as the code declares it: both hosts serve it,
/// it names every route the hosts serve and no other, and the API reference page needs nothing from outside.
/// </summary>
public sealed partial class ApiDocumentTests(HostFixture<StandaloneHost.Factory> standalone, HostFixture<FunctionsHost.Factory> functions)
    : IClassFixture<HostFixture<StandaloneHost.Factory>>, IClassFixture<HostFixture<FunctionsHost.Factory>>
{
    private const string DocumentRoute = "GET /api/openapi.json";

    private static async Task<JsonObject> Served(IApiHost host)
    {
        var response = await host.CreateClient().GetAsync("/api/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task BothHosts_ServeTheCommittedDocument_OpenApi31()
    {
        var committed = ApiDocument.Load();
        Assert.StartsWith("3.1", (string?)committed["openapi"], StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(committed, await Served(standalone.Host)),
            "docs/openapi.json differs from what Standalone generates: build src/Permanence.Standalone and commit docs/openapi.json.");
        Assert.True(JsonNode.DeepEquals(committed, await Served(functions.Host)), "The Functions app serves another document than docs/openapi.json.");
    }

    [Fact]
    public void Document_NamesEveryRouteTheHostsServe_AndNoOther()
    {
        var documented = ApiDocument.Operations(ApiDocument.Load());
        var standaloneRoutes = standalone.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(method => $"{method} /{e.RoutePattern.RawText!.Trim('/')}"))
            .Where(route => route != DocumentRoute)
            .ToHashSet();
        var functionsRoutes = FunctionsHost.HttpFunctions
            .SelectMany(f => f.HttpMethods.Select(method => $"{method.ToUpperInvariant()} /api/{f.Route}"))
            .Where(route => route != DocumentRoute)
            .ToHashSet();

        Assert.Equal(documented.Order(StringComparer.Ordinal), standaloneRoutes.Order(StringComparer.Ordinal));
        Assert.Equal(documented.Order(StringComparer.Ordinal), functionsRoutes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Document_DeclaresAuthenticationAndProblems_ForEveryOperation()
    {
        var document = ApiDocument.Load();
        Assert.Equal("bearer", (string?)document["components"]!["securitySchemes"]!["apiKey"]!["scheme"]);
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in operations!.AsObject())
            {
                var name = $"{method.ToUpperInvariant()} {path}";
                Assert.False(string.IsNullOrEmpty((string?)operation!["operationId"]), name);
                Assert.False(string.IsNullOrEmpty((string?)operation["summary"]), name);
                var keyed = operation["security"] is JsonArray { Count: > 0 };
                var responses = operation["responses"]!.AsObject();
                Assert.Equal(keyed, responses.ContainsKey("401")); // every route taking a key says what a missing key gets
                Assert.Contains("application/problem+json", responses["500"]!["content"]!.AsObject().Select(c => c.Key));
            }
        }
    }

    [Fact]
    public async Task ApiReference_IsServed_WithNothingFetchedFromOutside()
    {
        var http = standalone.Host.CreateClient();
        var page = await http.GetAsync("/api/docs/index.html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var references = AssetReference().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(references);
        Assert.All(references, url => Assert.DoesNotMatch("^(https?:)?//", url));
        foreach (var url in references.Where(u => !u.StartsWith('#')))
        {
            var asset = await http.GetAsync(new Uri(new Uri("http://127.0.0.1:7071/api/docs/"), url));
            Assert.True(asset.IsSuccessStatusCode, $"{url}: {(int)asset.StatusCode}");
        }
        var configuration = await (await http.GetAsync("/api/docs/index.js")).Content.ReadAsStringAsync();
        Assert.Contains("/api/openapi.json", configuration, StringComparison.Ordinal);
        Assert.DoesNotContain("validator.swagger.io", configuration, StringComparison.Ordinal);
    }

    [GeneratedRegex("""(?:src|href)\s*=\s*["'](?<url>[^"']+)["']""")]
    private static partial Regex AssetReference();
}
