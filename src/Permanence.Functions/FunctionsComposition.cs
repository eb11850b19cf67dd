using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Http;
using Permanence.Infrastructure;

namespace Permanence.Functions;

/// <summary>The Functions app's services; the tests build the same composition to call the function classes.</summary>
public static class FunctionsComposition
{
    public static IServiceCollection AddPermanenceFunctions(this IServiceCollection services, IConfiguration configuration) =>
        services.AddPermanence(configuration).AddServiceBusRoutingQueue();
}
