using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Permanence.Core.Routing;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Notifications;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Channels;

/// <summary>Which email and SMS adapters the hosts get, and the settings they refuse to start with.</summary>
public sealed class ChannelOptionsTests
{
    private static PermanenceOptions Valid() => new()
    {
        Storage = { ConnectionString = "UseDevelopmentStorage=true" },
        PublicBaseUrl = "https://permanence.example",
        Signing = { Key = "a-signing-key-of-our-own-0123456789abcdef" },
        ApiKeys = [new() { Key = "an-admin-key-of-our-own-0123", Role = "admin", Clients = ["*"] }],
    };

    private static ValidateOptionsResult Validate(Action<PermanenceOptions> change)
    {
        var options = Valid();
        change(options);
        using var provider = new ServiceCollection().BuildServiceProvider();
        return new PermanenceOptionsValidator(provider).Validate(null, options);
    }

    private static void AssertFails(ValidateOptionsResult result, string message)
    {
        Assert.True(result.Failed, $"expected: {message}");
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_NoProviderConfigured_AreValid() => Assert.True(Validate(_ => { }).Succeeded);

    [Fact]
    public void Options_CompleteProviders_AreValid() =>
        Assert.True(Validate(o =>
        {
            o.SendGrid = new() { ApiKey = "SG.key", FromEmail = "Permanence <permanence@agency.example>", BaseUrl = "http://127.0.0.1:8025" };
            o.Twilio = new() { AccountSid = "AC123", AuthToken = "token", FromNumber = "+33186950000", BaseUrl = "https://twilio.relay.example/" };
        }).Succeeded);

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not an address")]
    public void Options_SendGridKeyWithoutAValidSender_AreRefused(string? fromEmail) =>
        AssertFails(Validate(o => o.SendGrid = new() { ApiKey = "SG.key", FromEmail = fromEmail }), "Permanence:SendGrid:FromEmail must be an email address");

    [Theory]
    [InlineData("api.sendgrid.com")]
    [InlineData("/v3")]
    [InlineData("ftp://api.sendgrid.com")]
    public void Options_SendGridBaseUrlNotAbsoluteHttp_AreRefused(string baseUrl) =>
        AssertFails(Validate(o => o.SendGrid = new() { ApiKey = "SG.key", FromEmail = "permanence@agency.example", BaseUrl = baseUrl }),
            "Permanence:SendGrid:BaseUrl must be an absolute http(s) URL.");

    [Fact]
    public void Options_TwilioSidWithoutTokenOrNumber_AreRefused()
    {
        var result = Validate(o => o.Twilio = new() { AccountSid = "AC123" });

        AssertFails(result, "Permanence:Twilio:AuthToken must be set when Permanence:Twilio:AccountSid is.");
        AssertFails(result, "Permanence:Twilio:FromNumber must be an E.164 number");
    }

    [Theory]
    [InlineData("0186950000")]
    [InlineData("+33 1 86 95 00 00")]
    [InlineData("+0186950000")]
    public void Options_TwilioNumberNotE164_AreRefused(string fromNumber) =>
        AssertFails(Validate(o => o.Twilio = new() { AccountSid = "AC123", AuthToken = "token", FromNumber = fromNumber }),
            "Permanence:Twilio:FromNumber must be an E.164 number");

    [Theory]
    [InlineData("api.twilio.com")]
    [InlineData("ws://127.0.0.1:8080")]
    public void Options_TwilioBaseUrlNotAbsoluteHttp_AreRefused(string baseUrl) =>
        AssertFails(Validate(o => o.Twilio = new() { AccountSid = "AC123", AuthToken = "token", FromNumber = "+33186950000", BaseUrl = baseUrl }),
            "Permanence:Twilio:BaseUrl must be an absolute http(s) URL.");

    [Fact]
    public void Options_TwilioTokenAlone_IsValid_ForInboundSignatureChecks() =>
        Assert.True(Validate(o => o.Twilio = new() { AuthToken = "token" }).Succeeded);

    private static ServiceProvider Services(PermanenceOptions options)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Options.Create(options));
        services.AddSingleton(TimeProvider.System);
        // Only for the outbox adapters to be built: nothing is written in these tests.
        services.AddSingleton(new BlobServiceClient(TestEnvironment.UnreachableStorage));
        services.AddPermanenceRoutingAdapters();
        return services.BuildServiceProvider();
    }

    [Fact]
    public void Wiring_WithoutCredentials_UsesTheOutbox()
    {
        using var services = Services(Valid());

        Assert.IsType<OutboxEmailSender>(services.GetRequiredService<IEmailSender>());
        Assert.IsType<OutboxSmsSender>(services.GetRequiredService<ISmsSender>());
    }

    [Fact]
    public void Wiring_TwilioTokenAlone_KeepsSmsInTheOutbox()
    {
        var options = Valid();
        options.Twilio.AuthToken = "token";
        using var services = Services(options);

        Assert.IsType<OutboxSmsSender>(services.GetRequiredService<ISmsSender>());
    }

    [Fact]
    public async Task Wiring_WithCredentials_SendsThroughTheProvidersAtTheirBaseUrl()
    {
        await using var sink = await ProviderSink.StartAsync();
        var options = Valid();
        options.SendGrid = SendGridEmailSenderTests.Options(sink.BaseUrl);
        options.Twilio = TwilioSmsSenderTests.Options(sink.BaseUrl);
        options.FallbackEmail = "supervisor@agency.example";
        using var services = Services(options);

        var email = await services.GetRequiredService<IEmailSender>().SendAsync(SendGridEmailSenderTests.Email(), CancellationToken.None);
        var sms = await services.GetRequiredService<ISmsSender>().SendAsync(TwilioSmsSenderTests.Sms(), CancellationToken.None);
        var fallback = await services.GetRequiredService<IFallbackEmailSender>().SendAsync(SendGridEmailSenderTests.Email(), CancellationToken.None);

        Assert.IsType<SendGridEmailSender>(services.GetRequiredService<IEmailSender>());
        Assert.IsType<TwilioSmsSender>(services.GetRequiredService<ISmsSender>());
        Assert.Equal(new DeliveryOutcome.Sent(sink.Emails[0].ProviderId), email);
        Assert.Equal(new DeliveryOutcome.Sent(sink.Sms[0].Sid), sms);
        Assert.Equal(new DeliveryOutcome.Sent(sink.Emails[1].ProviderId), fallback);
        Assert.Equal(["jeanne.martin@example.test", "supervisor@agency.example"], sink.Emails.Select(e => e.To));
    }
}
