using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Routing;
using Permanence.Infrastructure.Webhooks;

namespace Permanence.Infrastructure.Notifications;

public static class RoutingServiceCollectionExtensions
{
    /// <summary>Delivery records, acknowledgements, and the channels: email, SMS, webhooks, fallback.</summary>
    public static IServiceCollection AddPermanenceRoutingAdapters(this IServiceCollection services)
    {
        services.AddSingleton<IDeliveryStore, TableDeliveryStore>();
        services.AddSingleton<IAcknowledgementStore, TableAcknowledgementStore>();
        services.AddSingleton<OutboxWriter>();
        services.AddSingleton<OutboxEmailSender>();
        services.AddSingleton<OutboxSmsSender>();
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<OutboxEmailSender>());
        services.AddSingleton<ISmsSender>(sp => sp.GetRequiredService<OutboxSmsSender>());
        services.AddSingleton<IFallbackEmailSender>(sp => new FallbackEmailSender(
            sp.GetRequiredService<IEmailSender>(),
            sp.GetRequiredService<OutboxEmailSender>(),
            sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.FallbackEmail));
        services.AddSingleton<IWebhookSender>(sp => new WebhookSender(
            WebhookSender.CreateClient(sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.Webhooks.AllowPrivateNetworks),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
