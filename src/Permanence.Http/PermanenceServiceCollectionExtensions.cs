using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Security;
using Permanence.Http.Endpoints;
using Permanence.Infrastructure;

namespace Permanence.Http;

public static class PermanenceServiceCollectionExtensions
{
    /// <summary>Everything both hosts share: options, adapters, core services and the HTTP endpoint handlers.</summary>
    public static IServiceCollection AddPermanence(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPermanenceInfrastructure(configuration);
        services.AddSingleton<ContractService>();
        services.AddSingleton<ClientDirectory>();
        services.AddSingleton<CallIngestionService>();
        services.AddSingleton<MessageService>();
        services.AddSingleton(sp => new AckTokens(sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.Signing.Key ?? ""));
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PermanenceOptions>>().Value;
            return new RoutingSettings(options.PublicBaseUrl, string.IsNullOrWhiteSpace(options.FallbackEmail) ? null : options.FallbackEmail);
        });
        services.AddSingleton<RoutingService>();
        services.AddSingleton<IRoutingCommandHandler>(sp => sp.GetRequiredService<RoutingService>());
        services.AddSingleton<AcknowledgementService>();
        services.AddSingleton<Permanence.Core.Sla.SlaReportJob>();
        services.AddSingleton<Permanence.Core.Sla.SlaReportMailer>();
        services.AddSingleton<Permanence.Core.Sla.MonthIndexRebuild>();
        services.AddSingleton<Permanence.Core.Exports.ExportJob>();
        services.AddSingleton<Permanence.Core.Jobs.MonthlyJobService>();
        services.AddSingleton(sp => new Permanence.Core.Offboarding.CertificateSigner(sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.Signing.Key ?? ""));
        services.AddSingleton<Permanence.Core.Offboarding.OffboardingService>();
        services.AddSingleton<Permanence.Core.Offboarding.RetentionJob>();
        services.AddSingleton<OffboardingRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<OffboardingRunner>());
        services.AddSingleton<RoutingDispatcher>();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PermanenceOptions>>().Value;
            return new ApiKeyRegistry(options.ApiKeys.Select(k => new ApiKeyDefinition(k.Key, k.Role, k.Clients)), options.Signing.Key ?? "");
        });
        services.AddSingleton<RequestAuthorization>();
        services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage", tags: [StorageHealthCheck.ReadyTag]);
        services.AddSingleton<HealthEndpoints>();
        services.AddSingleton<ClientEndpoints>();
        services.AddSingleton<AircallTokens>();
        services.AddSingleton<TelephonyEndpoints>();
        services.AddSingleton<CallEndpoints>();
        services.AddSingleton<MessageEndpoints>();
        services.AddSingleton<AckEndpoints>();
        services.AddSingleton<SmsEndpoints>();
        services.AddSingleton<JobGate>();
        services.AddSingleton<ClientRoutes>();
        services.AddSingleton<ReportEndpoints>();
        services.AddSingleton<ExportEndpoints>();
        services.AddSingleton<OffboardingEndpoints>();
        return services;
    }
}
