using System.Diagnostics;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;
using Xunit.Abstractions;

namespace Permanence.Integration.Tests.Fuzz;

public sealed class FuzzFixture<TFactory> : IAsyncLifetime where TFactory : IApiHostFactory, new()
{
    public FuzzWorld World { get; private set; } = null!;

    public async Task InitializeAsync() => World = await FuzzWorld.CreateAsync(new TFactory());

    public async Task DisposeAsync() => await World.DisposeAsync();
}

/// <summary>
/// Property-based fuzzing of every route of the HTTP contract on one host. For every generated request, while
/// storage is up: no 5xx; every 4xx is application/problem+json (but the error page of an acknowledgement link
/// asked for as text/html); a refused request changes nothing in storage (tables, blob containers, routing
/// commands); GET /acks/{token} changes nothing even when it answers 200; an acknowledgement only adds
/// acknowledgement rows. Case count and seed: <see cref="FuzzSettings"/>.
/// </summary>
[Collection(StorageSnapshotCollection.Name)]
public abstract class FuzzTests<TFactory>(FuzzFixture<TFactory> fixture, ITestOutputHelper output) : IClassFixture<FuzzFixture<TFactory>>
    where TFactory : IApiHostFactory, new()
{
    private FuzzWorld World => fixture.World;

    [Fact]
    public async Task EveryRoute_HoldsTheProperties_OnGeneratedRequests()
    {
        var hostRoutes = HostRoutes(World.Host);
        var fuzzed = FuzzRoutes.All.Select(r => (r.Method, r.Template)).ToHashSet();
        var missing = hostRoutes.Where(r => !fuzzed.Contains(r)).ToList();
        Assert.True(missing.Count == 0, $"Routes of {World.Host.Name} the fuzzer does not generate requests for: {string.Join(", ", missing)}");

        var cases = FuzzSettings.CasesPerRoute;
        var seed = FuzzSettings.Seed;
        output.WriteLine($"{World.Host.Name}: {cases} generated cases per route, seed {seed} (PERMANENCE_FUZZ_CASES, PERMANENCE_FUZZ_SEED), fuzz client {World.Client}");
        var clock = Stopwatch.StartNew();
        var runner = new FuzzRunner(World);
        var reports = new List<RouteReport>();
        foreach (var route in Enum.GetValues<FuzzRoute>())
        {
            var report = await runner.RunAsync(World.Host.Name, route, cases, seed);
            reports.Add(report);
            output.WriteLine(report.Summary);
        }
        output.WriteLine($"{World.Host.Name}: {reports.Sum(r => r.Cases)} cases and {reports.Sum(r => r.ShrinkRuns)} shrink runs in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"routes covered: {string.Join(", ", reports.Where(r => r.Routed > 0).Select(r => r.Route.Describe()))}");

        var failures = string.Join("\n", reports.Select(r => r.Failures(seed)).Where(f => f.Length > 0));
        if (failures.Length > 0)
        {
            output.WriteLine(failures);
        }
        // Every status a handler answered is one the API document declares for that route.
        var undeclared = reports
            .SelectMany(r => r.HandlerStatuses.Where(status => !ApiDocument.DeclaredStatuses(r.Route.Method(), "/api/" + r.Route.Template()).Contains(status))
                .Select(status => $"{r.Route.Describe()} answered {status}"))
            .ToList();
        Assert.True(undeclared.Count == 0, $"Statuses missing from docs/openapi.json: {string.Join("; ", undeclared)}");
        var uncovered = reports.Where(r => r.Routed == 0 || r.Successes == 0).Select(r => r.Route.Describe()).ToList();
        Assert.True(uncovered.Count == 0, $"Routes no generated request reached with a 2xx answer: {string.Join(", ", uncovered)}");
        Assert.True(failures.Length == 0, $"Properties violated on {World.Host.Name}:\n{failures}");
    }

    /// <summary>The (method, template under /api) of every HTTP route the host serves.</summary>
    /// <summary>The host's routes, but the OpenAPI document's: it takes no input (ApiDocumentTests check it).</summary>
    private static List<(string Method, string Template)> HostRoutes(IApiHost host)
    {
        var routes = host is FunctionsHost
            ? FunctionsHost.HttpFunctions.SelectMany(f => f.HttpMethods.Select(m => (m.ToUpperInvariant(), f.Route))).ToList()
            : host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
                .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["*"]).Select(m => (m, e.RoutePattern.RawText!.TrimStart('/'))))
                .Select(r => (r.Item1, r.Item2.StartsWith("api/", StringComparison.Ordinal) ? r.Item2["api/".Length..] : r.Item2))
                .ToList();
        return routes.Where(r => r != ("GET", "openapi.json")).ToList();
    }
}

public sealed class StandaloneFuzzTests(FuzzFixture<StandaloneHost.Factory> fixture, ITestOutputHelper output) : FuzzTests<StandaloneHost.Factory>(fixture, output);

public sealed class FunctionsFuzzTests(FuzzFixture<FunctionsHost.Factory> fixture, ITestOutputHelper output) : FuzzTests<FunctionsHost.Factory>(fixture, output);
