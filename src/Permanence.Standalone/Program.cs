using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Permanence.Http;
using Permanence.Infrastructure.Telemetry;
using Permanence.Standalone;

// The build also loads this app to write docs/openapi.json (GetDocument): with the development settings, and
// without the background workers, since the document needs the routes only.
var generatingDocument = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name == "GetDocument.Insider";
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args,
    EnvironmentName = generatingDocument ? Environments.Development : null,
});
builder.Services.AddPermanence(builder.Configuration);
if (!generatingDocument)
{
    builder.Services.AddStandaloneWorkers();
}
builder.Services.AddProblemDetails();
builder.Services.AddPermanenceOpenApi();
builder.Services.AddPermanenceTelemetry(builder.Configuration)
    .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation(options =>
        // An acknowledgement link's token is a credential: traces keep the route, not the token.
        options.EnrichWithHttpRequest = (activity, request) =>
        {
            if (request.Path.StartsWithSegments("/api/acks"))
            {
                activity.SetTag("url.path", "/api/acks/{token}");
            }
        }))
    .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation());

var app = builder.Build();
app.UseExceptionHandler();
app.MapOpenApi("/api/openapi.json");
// The API reference: Swagger UI's assets are served from the package itself, nothing is fetched from outside.
app.UseSwaggerUI(options =>
{
    options.RoutePrefix = "api/docs";
    options.SwaggerEndpoint("/api/openapi.json", "Permanence API");
    options.DocumentTitle = "Permanence API";
    options.EnableValidator(null);
});
app.MapPermanenceApi();
app.Run();

public partial class Program;
