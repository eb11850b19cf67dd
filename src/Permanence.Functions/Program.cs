using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

namespace Permanence.Functions;

internal static class Program
{
    private static void Main(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);
        builder.ConfigureFunctionsWebApplication();
        builder.Services.AddPermanenceFunctions(builder.Configuration);
        builder.UsePermanenceMiddleware();
        builder.Build().Run();
    }
}
