using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Calls;
using Permanence.Infrastructure.Messages;
using Permanence.Infrastructure.Notifications;
using Permanence.Infrastructure.Routing;
using Permanence.Infrastructure.Telephony;
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
        services.AddSingleton<ICallStore, TableCallStore>();
        services.AddSingleton<ICallIndex, TableCallIndex>();
        services.AddSingleton<BlobDownloadLinks>();
        services.AddSingleton<Permanence.Core.Sla.IReportStore, Reports.BlobReportStore>();
        services.AddSingleton<Permanence.Core.Jobs.IMonthlyJobIndex, Jobs.TableMonthlyJobIndex>();
        services.AddSingleton<Permanence.Core.Exports.IExportStore, Exports.BlobExportStore>();
        services.AddSingleton<Permanence.Core.Exports.IExportAccessLog, Exports.TableExportAccessLog>();
        services.AddSingleton<IRawArchive, BlobRawArchive>();
        services.AddSingleton<Permanence.Core.Offboarding.IOffboardingStore, Offboarding.TableOffboardingStore>();
        services.AddSingleton<Permanence.Core.Offboarding.IOffboardingFiles, Offboarding.BlobOffboardingFiles>();
        services.AddSingleton<Permanence.Core.Offboarding.IClientDataEraser, Offboarding.StorageClientEraser>();
        services.AddSingleton<IMessageStore, TableMessageStore>();
        services.AddSingleton<IMessageIndex, TableMessageIndex>();
        services.AddSingleton<TwilioSignature>();
        services.AddSingleton<StorageRoutingQueue>();
        services.TryAddSingleton<IRoutingQueue>(sp => sp.GetRequiredService<StorageRoutingQueue>());
        services.AddPermanenceRoutingAdapters();
        return services;
    }

    /// <summary>The Functions host routes through Service Bus queue "routing" instead of the Storage queue.</summary>
    public static IServiceCollection AddServiceBusRoutingQueue(this IServiceCollection services)
    {
        services.AddAzureClients(clients =>
            clients.AddClient<ServiceBusClient, ServiceBusClientOptions>((options, credential, provider) =>
            {
                var serviceBus = provider.GetRequiredService<IOptions<PermanenceOptions>>().Value.ServiceBus;
                if (!string.IsNullOrWhiteSpace(serviceBus.ConnectionString))
                {
                    return new ServiceBusClient(serviceBus.ConnectionString, options);
                }
                if (!string.IsNullOrWhiteSpace(serviceBus.FullyQualifiedNamespace))
                {
                    return new ServiceBusClient(serviceBus.FullyQualifiedNamespace, credential, options);
                }
                throw new InvalidOperationException("Set Permanence:ServiceBus:FullyQualifiedNamespace or Permanence:ServiceBus:ConnectionString.");
            }));
        services.TryAddSingleton(sp => sp.GetRequiredService<ServiceBusClient>().CreateSender(StorageNames.RoutingQueue));
        services.RemoveAll<IRoutingQueue>();
        services.AddSingleton<IRoutingQueue, ServiceBusRoutingQueue>();
        return services;
    }
}
