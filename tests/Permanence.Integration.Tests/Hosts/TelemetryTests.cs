using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Permanence.Integration.Tests.Hosts;

/// <summary>Both hosts wire OpenTelemetry the same way, exporting to Application Insights when a connection string is set.</summary>
public class TelemetryTests
{
    // A loopback endpoint nothing listens on: nothing leaves the machine.
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=http://127.0.0.1:9/";

    [Fact]
    public async Task BothHosts_TraceMeterAndExportToApplicationInsights_WhenConfigured()
    {
        foreach (var factory in new IApiHostFactory[] { new StandaloneHost.Factory(), new FunctionsHost.Factory() })
        {
            var settings = TestKeys.Settings(TestEnvironment.StorageConnectionString);
            settings["APPLICATIONINSIGHTS_CONNECTION_STRING"] = ConnectionString;
            await using var host = factory.Create(settings);

            Assert.NotNull(host.Services.GetService<TracerProvider>());
            Assert.NotNull(host.Services.GetService<MeterProvider>());
            // The exporter reads its options under the default name or a signal-specific one, depending on the version.
            var monitor = host.Services.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>();
            var configured = new[] { Options.DefaultName, "AzureMonitorExporter", "AzureMonitorTraceExporter", "AzureMonitorMetricExporter", "AzureMonitorLogExporter" }
                .Select(name => (name, monitor.Get(name).ConnectionString)).ToList();
            Assert.True(configured.Any(c => c.ConnectionString == ConnectionString), $"{host.Name}: {string.Join("; ", configured)}");
        }
    }
}
