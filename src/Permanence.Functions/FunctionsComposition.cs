using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Permanence.Http;
using Permanence.Infrastructure;

namespace Permanence.Functions;

/// <summary>The Functions app's services; the tests build the same composition to call the function classes.</summary>
public static class FunctionsComposition
{
    public static IServiceCollection AddPermanenceFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPermanence(configuration).AddServiceBusRoutingQueue();
        services.AddProblemDetails();
        return services;
    }

    /// <summary>The worker middleware, in order; the tests run the function classes through the same registrations.</summary>
    public static IFunctionsWorkerApplicationBuilder UsePermanenceMiddleware(this IFunctionsWorkerApplicationBuilder builder) =>
        builder.UseMiddleware<ProblemDetailsMiddleware>();
}
