using System.Net.Http.Headers;
using System.Reflection;
using Azure.Messaging.ServiceBus;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Permanence.Functions;

namespace Permanence.Integration.Tests.Hosts;

/// <summary>
/// Permanence.Functions without the Functions host (it cannot run here): the app's own composition, and an
/// HttpMessageHandler that routes each request to the [Function] method whose [HttpTrigger] method and route
/// match, calls it directly and executes its IActionResult. Routes come from the attributes, so a route that
/// differs from the Standalone host fails the shared contract suite.
/// </summary>
public sealed class FunctionsHost : IApiHost
{
    private readonly ServiceProvider _services;

    public FunctionsHost(IDictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddPermanenceFunctions(configuration);
        Pipeline = new WorkerPipeline(services);
        services.AddSingleton<ServiceBusSender>(ServiceBusSender);
        TestInfrastructure.Apply(services);
        _services = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        // What ValidateOnStart does under a real host.
        _ = _services.GetRequiredService<IOptions<Permanence.Infrastructure.PermanenceOptions>>().Value;
        // The worker's host starts the hosted services (the offboarding runner) and stops them on shutdown.
        _hosted = _services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().ToList();
        foreach (var hosted in _hosted)
        {
            hosted.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private readonly List<Microsoft.Extensions.Hosting.IHostedService> _hosted;

    public string Name => "Functions";

    /// <summary>Where the Functions host's routing queue sends (the Service Bus adapter at its SDK boundary).</summary>
    public RecordingServiceBusSender ServiceBusSender { get; } = new();

    public IServiceProvider Services => _services;

    /// <summary>The worker middleware every request goes through, as registered by the app.</summary>
    public WorkerPipeline Pipeline { get; }

    public HttpClient CreateClient() => new(new FunctionsDispatcher(_services, Pipeline)) { BaseAddress = new Uri("http://127.0.0.1:7071") };

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in Enumerable.Reverse(_hosted))
        {
            await hosted.StopAsync(CancellationToken.None);
        }
        await _services.DisposeAsync();
    }

    public sealed class Factory : IApiHostFactory
    {
        public string StorageConnectionString => TestEnvironment.FunctionsStorageConnectionString;

        public IApiHost Create(IDictionary<string, string?> settings) => new FunctionsHost(settings);
    }

    public static IReadOnlyList<HttpFunction> HttpFunctions { get; } = typeof(FunctionsComposition).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly).Select(m => (Type: t, Method: m)))
        .Where(x => x.Method.GetCustomAttribute<FunctionAttribute>() is not null)
        .Select(x => (x.Type, x.Method, Trigger: x.Method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).FirstOrDefault(a => a is not null)))
        .Where(x => x.Trigger is not null)
        .Select(x => new HttpFunction(x.Type, x.Method, x.Trigger!.Methods ?? [], x.Trigger.Route ?? x.Method.Name))
        .ToList();

    public sealed record HttpFunction(Type Type, MethodInfo Method, string[] HttpMethods, string Route)
    {
        public TemplateMatcher Matcher { get; } = new(TemplateParser.Parse(Route), new RouteValueDictionary());
    }

    private sealed class FunctionsDispatcher(IServiceProvider services, WorkerPipeline pipeline) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Decoded the way ASP.NET Core servers decode the request line (the Functions host's too): every escape but %2F.
            var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath.Replace("%2F", "%252F", StringComparison.OrdinalIgnoreCase));
            if (!path.StartsWith("/api/", StringComparison.Ordinal))
            {
                return new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
            }
            var values = new RouteValueDictionary();
            var function = HttpFunctions.FirstOrDefault(f =>
                f.HttpMethods.Contains(request.Method.Method, StringComparer.OrdinalIgnoreCase) &&
                f.Matcher.TryMatch(path["/api".Length..], values = new RouteValueDictionary()));
            if (function is null)
            {
                return new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
            }

            await using var scope = services.CreateAsyncScope();
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
            context.RequestAborted = cancellationToken;
            context.Request.Method = request.Method.Method;
            context.Request.Scheme = request.RequestUri.Scheme;
            context.Request.Host = new HostString(request.RequestUri.Authority);
            context.Request.Path = path;
            context.Request.QueryString = new QueryString(request.RequestUri.Query);
            foreach (var header in request.Headers)
            {
                context.Request.Headers[header.Key] = header.Value.ToArray();
            }
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            if (request.Content is not null)
            {
                foreach (var header in request.Content.Headers)
                {
                    context.Request.Headers[header.Key] = header.Value.ToArray();
                }
            }
            context.Request.Body = new MemoryStream(body);
            var responseBody = new MemoryStream();
            context.Response.Body = responseBody;

            var instance = function.Method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope.ServiceProvider, function.Type);
            var arguments = function.Method.GetParameters().Select(object? (p) => p.ParameterType switch
            {
                var t when t == typeof(HttpRequest) => context.Request,
                var t when t == typeof(CancellationToken) => cancellationToken,
                var t when t == typeof(string) => values.TryGetValue(p.Name!, out var v) ? v?.ToString() : null,
                _ => throw new NotSupportedException($"{function.Method.Name}: cannot bind parameter {p.Name} of type {p.ParameterType}."),
            }).ToArray();

            // Through the worker middleware; the ASP.NET Core integration executes the function's result afterwards.
            IActionResult? result = null;
            await pipeline.InvokeAsync(function.Method.Name, context, async _ =>
            {
                var invocation = function.Method.Invoke(instance, arguments);
                result = invocation switch
                {
                    Task<IActionResult> task => await task,
                    IActionResult direct => direct,
                    _ => throw new NotSupportedException($"{function.Method.Name} must return IActionResult."),
                };
            });
            if (result is not null)
            {
                await result.ExecuteResultAsync(new ActionContext(context, new RouteData(values), new ActionDescriptor()));
            }

            var response = new HttpResponseMessage((System.Net.HttpStatusCode)context.Response.StatusCode)
            {
                Content = new ByteArrayContent(responseBody.ToArray()),
                RequestMessage = request,
            };
            foreach (var header in context.Response.Headers)
            {
                if (!response.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
                {
                    response.Content.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
                }
            }
            if (context.Response.ContentType is { } contentType)
            {
                response.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }
            return response;
        }
    }
}
