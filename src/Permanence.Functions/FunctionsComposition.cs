using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Permanence.Http;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Telemetry;

namespace Permanence.Functions;

/// <summary>The Functions app's services; the tests build the same composition to call the function classes.</summary>
public static class FunctionsComposition
{
    public static IServiceCollection AddPermanenceFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPermanence(configuration).AddServiceBusRoutingQueue();
        services.AddProblemDetails();
        // Worker-side telemetry: the worker's own spans for each invocation, then the same pipeline as Standalone.
        services.AddPermanenceTelemetry(configuration).UseFunctionsWorkerDefaults();
        return services;
    }

    /// <summary>The worker middleware, in order; the tests run the function classes through the same registrations.</summary>
    public static IFunctionsWorkerApplicationBuilder UsePermanenceMiddleware(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseMiddleware<ProblemDetailsMiddleware>();
}
