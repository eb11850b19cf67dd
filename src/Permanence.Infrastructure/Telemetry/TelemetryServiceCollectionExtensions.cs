using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Permanence.Infrastructure.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    public const string ServiceName = "permanence";

    /// <summary>
    /// OpenTelemetry traces, metrics and logs, the same in both hosts (each host adds its own request
    /// instrumentation), exported to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING is set; with
    /// APPLICATIONINSIGHTS_AUTHENTICATION_STRING (Entra ID, as infra/ sets it) the managed identity authenticates.
    /// </summary>
    public static OpenTelemetryBuilder AddPermanenceTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithTracing(tracing => tracing.AddHttpClientInstrumentation(options =>
                // Outbound URLs carry secrets in their paths and queries (webhook receivers' tokens, account ids):
                // only the origin is traced.
                options.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.RequestUri is { IsAbsoluteUri: true } uri)
                    {
                        activity.SetTag("url.full", uri.GetLeftPart(UriPartial.Authority));
                    }
                }))
            .WithMetrics(metrics => metrics.AddHttpClientInstrumentation());
        if (configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } connectionString)
        {
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connectionString;
                if (!string.IsNullOrEmpty(configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]))
                {
                    options.Credential = new DefaultAzureCredential();
                }
            });
        }
        return telemetry;
    }
}
