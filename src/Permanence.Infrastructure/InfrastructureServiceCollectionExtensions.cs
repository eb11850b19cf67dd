using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
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

        // Clients are built from the validated options when first resolved, so every configuration source counts.
        services.AddAzureClients(clients =>
        {
            clients.AddClient<TableServiceClient, TableClientOptions>((options, credential, provider) =>
            {
                var storage = provider.GetRequiredService<IOptions<PermanenceOptions>>().Value.Storage;
                return storage.UsesConnectionString
                    ? new TableServiceClient(storage.ConnectionString, options)
                    : new TableServiceClient(new Uri(storage.TableServiceUri!), credential, options);
            });
            clients.AddClient<BlobServiceClient, BlobClientOptions>((options, credential, provider) =>
            {
                var storage = provider.GetRequiredService<IOptions<PermanenceOptions>>().Value.Storage;
                return storage.UsesConnectionString
                    ? new BlobServiceClient(storage.ConnectionString, options)
                    : new BlobServiceClient(new Uri(storage.BlobServiceUri!), credential, options);
            });
            clients.AddClient<QueueServiceClient, QueueClientOptions>((options, credential, provider) =>
            {
                var storage = provider.GetRequiredService<IOptions<PermanenceOptions>>().Value.Storage;
                options.MessageEncoding = QueueMessageEncoding.Base64;
                return storage.UsesConnectionString
                    ? new QueueServiceClient(storage.ConnectionString, options)
                    : new QueueServiceClient(new Uri(storage.QueueServiceUri!), credential, options);
            });
            // Managed identity in Azure: AZURE_CLIENT_ID names the user-assigned identity.
            clients.UseCredential(new DefaultAzureCredential());
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
