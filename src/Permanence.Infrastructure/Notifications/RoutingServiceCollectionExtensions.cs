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
        // The providers when their credentials are set, the outbox otherwise (README, "Configuration"); read
        // from the validated options when first resolved, so every configuration source counts.
        services.AddSingleton<IEmailSender>(sp =>
        {
            var sendGrid = sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.SendGrid;
            return UsesSendGrid(sendGrid)
                ? new SendGridEmailSender(sendGrid, sp.GetRequiredService<TimeProvider>())
                : sp.GetRequiredService<OutboxEmailSender>();
        });
        services.AddSingleton<ISmsSender>(sp =>
        {
            var twilio = sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.Twilio;
            return UsesTwilio(twilio)
                ? new TwilioSmsSender(twilio, sp.GetRequiredService<TimeProvider>())
                : sp.GetRequiredService<OutboxSmsSender>();
        });
        services.AddSingleton<IFallbackEmailSender>(sp => new FallbackEmailSender(
            sp.GetRequiredService<IEmailSender>(),
            sp.GetRequiredService<OutboxEmailSender>(),
            sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.FallbackEmail));
        services.AddSingleton<IWebhookSender>(sp => new WebhookSender(
            WebhookSender.CreateClient(sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.Webhooks.AllowPrivateNetworks),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Email goes through SendGrid once an API key is set (validation then requires the sender address).</summary>
    public static bool UsesSendGrid(SendGridOptions options) => !string.IsNullOrWhiteSpace(options.ApiKey);

    /// <summary>
    /// SMS go through Twilio once the account SID, the token and the number are set (validation refuses a SID
    /// without the other two). The auth token alone does not: it also serves to check inbound webhook signatures.
    /// </summary>
    public static bool UsesTwilio(TwilioOptions options) =>
        !string.IsNullOrWhiteSpace(options.AccountSid) && !string.IsNullOrWhiteSpace(options.AuthToken) && !string.IsNullOrWhiteSpace(options.FromNumber);
}
