using Azure.Identity;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Permanence.Core.Clients;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure;

public static class InfrastructureServiceCollectionExtensions
{
    /// <summary>Options (validated on start), Azure SDK clients and the storage adapters.</summary>
    public static IServiceCollection AddPermanenceInfrastructure(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PermanenceOptions>()
            .Bind(configuration.GetSection(PermanenceOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PermanenceOptions>, PermanenceOptionsValidator>();

        var storage = configuration.GetSection($"{PermanenceOptions.Section}:Storage").Get<StorageOptions>() ?? new StorageOptions();
        services.AddAzureClients(clients =>
        {
            if (storage.UsesConnectionString)
            {
                clients.AddTableServiceClient(storage.ConnectionString);
                clients.AddBlobServiceClient(storage.ConnectionString);
                clients.AddQueueServiceClient(storage.ConnectionString);
            }
            else if (storage.TableServiceUri is not null && storage.BlobServiceUri is not null && storage.QueueServiceUri is not null)
            {
                // Managed identity in Azure (AZURE_CLIENT_ID names the user-assigned identity).
                clients.AddTableServiceClient(new Uri(storage.TableServiceUri));
                clients.AddBlobServiceClient(new Uri(storage.BlobServiceUri));
                clients.AddQueueServiceClient(new Uri(storage.QueueServiceUri));
                clients.UseCredential(new DefaultAzureCredential());
            }
            clients.ConfigureDefaults(o =>
            {
                o.Retry.MaxRetries = 3;
                o.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
            });
        });

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Tables>();
        services.AddSingleton<IContractStore, TableContractStore>();
        services.AddSingleton<IStorageHealthProbe, StorageHealthProbe>();
        return services;
    }
}
