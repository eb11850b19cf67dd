using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Functions;

namespace Permanence.Integration.Tests.Hosts;

/// <summary>
/// The Functions worker's middleware as the app registers it (<see cref="FunctionsComposition.UsePermanenceMiddleware"/>
/// on an <see cref="IFunctionsWorkerApplicationBuilder"/>), composed in registration order around the function, and
/// run with a <see cref="FunctionContext"/> that carries the request's HttpContext where the ASP.NET Core
/// integration puts it. The Functions host itself cannot run here; this is its pipeline, not a copy of it.
/// </summary>
public sealed class WorkerPipeline : IFunctionsWorkerApplicationBuilder
{
    private readonly List<Func<FunctionExecutionDelegate, FunctionExecutionDelegate>> _middleware = [];

    public WorkerPipeline(IServiceCollection services)
    {
        Services = services;
        this.UsePermanenceMiddleware();
    }

    public IServiceCollection Services { get; }

    public IFunctionsWorkerApplicationBuilder Use(Func<FunctionExecutionDelegate, FunctionExecutionDelegate> middleware)
    {
        _middleware.Add(middleware);
        return this;
    }

    /// <summary>Runs <paramref name="function"/> through the middleware for an HTTP trigger invocation.</summary>
    public Task InvokeAsync(string functionName, HttpContext http, Func<FunctionContext, Task> function)
    {
        FunctionExecutionDelegate pipeline = context => new ValueTask(function(context)).AsTask();
        for (var i = _middleware.Count - 1; i >= 0; i--)
        {
            pipeline = _middleware[i](pipeline);
        }
        return pipeline(new HttpTriggerContext(functionName, http));
    }

    private sealed class HttpTriggerContext : FunctionContext
    {
        public HttpTriggerContext(string functionName, HttpContext http)
        {
            FunctionDefinition = new Definition(functionName);
            InstanceServices = http.RequestServices;
            CancellationToken = http.RequestAborted;
            // Where Microsoft.Azure.Functions.Worker.Extensions.Http.AspNetCore keeps the request (GetHttpContext()).
            Items = new ConcurrentDictionary<object, object> { ["HttpRequestContext"] = http };
        }

        public override string InvocationId { get; } = Guid.NewGuid().ToString();
        public override string FunctionId => FunctionDefinition.Id;
        public override TraceContext TraceContext => throw new NotSupportedException();
        public override BindingContext BindingContext => throw new NotSupportedException();
        public override RetryContext RetryContext => throw new NotSupportedException();
        public override IServiceProvider InstanceServices { get; set; }
        public override FunctionDefinition FunctionDefinition { get; }
        public override IDictionary<object, object> Items { get; set; }
        public override IInvocationFeatures Features => throw new NotSupportedException();
        public override CancellationToken CancellationToken { get; }
    }

    private sealed class Definition(string name) : FunctionDefinition
    {
        public override ImmutableArray<FunctionParameter> Parameters => [];
        public override string PathToAssembly => typeof(FunctionsComposition).Assembly.Location;
        public override string EntryPoint => name;
        public override string Id => name;
        public override string Name => name;
        public override IImmutableDictionary<string, BindingMetadata> InputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
        public override IImmutableDictionary<string, BindingMetadata> OutputBindings => ImmutableDictionary<string, BindingMetadata>.Empty;
    }
}
