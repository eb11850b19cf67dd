using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Permanence.Integration.Tests.Hosts;

/// <summary>Permanence.Standalone through ASP.NET Core's test server: its real composition, only storage swapped.</summary>
public sealed class StandaloneHost(IDictionary<string, string?> settings, Action<IServiceCollection>? configureServices = null) : IApiHost
{
    private readonly WebApplicationFactory<Program> _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(builder =>
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, config) => config.AddInMemoryCollection(settings));
        // Also as host settings: those are visible while Program.cs registers services, as environment variables are.
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
        builder.ConfigureTestServices(TestInfrastructure.Apply);
        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    });

    public string Name => "Standalone";

    public HttpClient CreateClient() => _factory.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("http://127.0.0.1:7071") });

    public IServiceProvider Services => _factory.Services;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    public sealed class Factory : IApiHostFactory
    {
        public string StorageConnectionString => TestEnvironment.StorageConnectionString;

        public IApiHost Create(IDictionary<string, string?> settings) => new StandaloneHost(settings);
    }
}
