using System.Net;
using System.Text.Json.Nodes;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Contract;

/// <summary>
/// An exception escaping a handler (here: storage unreachable) answers the same RFC 9457 problem in both hosts:
/// Standalone through its exception handler, Functions through the worker middleware the app registers, run
/// as the worker runs it (a FunctionContext for the HTTP trigger, then the function).
/// </summary>
public class ExceptionContractTests
{
    private static async Task<(HttpStatusCode Status, string? MediaType, JsonObject Body)> FailingRequestAsync(IApiHostFactory factory)
    {
        var settings = TestKeys.Settings(TestEnvironment.UnreachableStorage);
        await using var host = factory.Create(settings);
        var response = await host.CreateClient().SendAsync(Api.Request(HttpMethod.Get, "/api/clients/unreachable", TestKeys.Admin));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, body);
    }

    [Fact]
    public async Task HandlerException_IsTheSameProblemInBothHosts_WithNoInternalDetail()
    {
        var standalone = await FailingRequestAsync(new StandaloneHost.Factory());
        var functions = await FailingRequestAsync(new FunctionsHost.Factory());

        foreach (var (status, mediaType, body) in new[] { standalone, functions })
        {
            Assert.Equal(HttpStatusCode.InternalServerError, status);
            Assert.Equal("application/problem+json", mediaType);
            Assert.Equal(500, (int?)body["status"]);
            Assert.False(string.IsNullOrEmpty((string?)body["title"]));
            Assert.DoesNotContain("Exception", body.ToJsonString(), StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1:9", body.ToJsonString(), StringComparison.Ordinal);
        }
        Assert.Equal((string?)standalone.Body["title"], (string?)functions.Body["title"]);
        Assert.Equal((string?)standalone.Body["type"], (string?)functions.Body["type"]);
        Assert.Equal(
            standalone.Body.Select(p => p.Key).Order(StringComparer.Ordinal),
            functions.Body.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Liveness_AnswersWhileReadinessSaysStorageIsDown_InBothHosts()
    {
        foreach (var factory in new IApiHostFactory[] { new StandaloneHost.Factory(), new FunctionsHost.Factory() })
        {
            await using var host = factory.Create(TestKeys.Settings(TestEnvironment.UnreachableStorage));
            var http = host.CreateClient();
            var live = await http.GetAsync("/api/health/live");
            var ready = await http.GetAsync("/api/health");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("alive", (string?)JsonNode.Parse(await live.Content.ReadAsStringAsync())!["status"]);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        }
    }
}
