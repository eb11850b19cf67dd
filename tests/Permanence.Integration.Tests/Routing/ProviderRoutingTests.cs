using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Permanence.Core.Routing;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Notifications;
using Permanence.Integration.Tests.Channels;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// Routing through the real SendGrid and Twilio SDK clients against a local sink that plays the providers
/// (README, "Routing"): what they receive, how faults are retried on the queue, and the fallback email.
/// </summary>
public sealed class ProviderRoutingTests
{
    private const string SendGridKey = "SG.test-key-routing";
    private const string TwilioSid = "AC00000000000000000000000000000001";

    /// <summary>A host whose email and SMS go to <paramref name="sink"/>, with a short client timeout so a hang costs 2 s.</summary>
    private static RoutingWorld World(ProviderSink sink, DateTimeOffset now, string? fallbackEmail = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Permanence:SendGrid:ApiKey"] = SendGridKey,
            ["Permanence:SendGrid:BaseUrl"] = sink.BaseUrl,
            ["Permanence:SendGrid:FromEmail"] = "permanence@agence.example",
            ["Permanence:Twilio:AccountSid"] = TwilioSid,
            ["Permanence:Twilio:FromNumber"] = "+33757000000",
            ["Permanence:Twilio:BaseUrl"] = sink.BaseUrl,
            ["Permanence:FallbackEmail"] = fallbackEmail,
        };
        return new RoutingWorld(now, settings, services =>
        {
            services.RemoveAll<IEmailSender>();
            services.AddSingleton<IEmailSender>(sp => new SendGridEmailSender(
                sp.GetRequiredService<IOptions<PermanenceOptions>>().Value.SendGrid, sp.GetRequiredService<TimeProvider>(), TimeSpan.FromSeconds(2)));
        });
    }

    [Fact]
    public async Task Email_500Then429ThenTimeoutThenSuccess_IsAcceptedExactlyOnce_EachAttemptRecorded()
    {
        await using var sink = await ProviderSink.StartAsync();
        await using var world = World(sink, RoutingWorld.TuesdayEveningParis.AddDays(98));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        sink.Script(ProviderKind.SendGrid, SinkAnswer.Error(500), SinkAnswer.TooManyRequests(TimeSpan.FromSeconds(7)), SinkAnswer.Hang(TimeSpan.FromSeconds(30)));
        var id = await world.PostMessageAsync(clientId, "rdv");

        await world.PumpAsync();                              // attempt 0: 500
        Assert.Contains(world.Queue.History, h => h.Command is { Step: 0, Attempt: 1 } && h.Delay == TimeSpan.FromSeconds(30));
        await world.AdvanceAsync(TimeSpan.FromSeconds(30));   // attempt 1: 429, Retry-After 7 s
        Assert.Contains(world.Queue.History, h => h.Command is { Step: 0, Attempt: 2 } && h.Delay == TimeSpan.FromSeconds(7));
        await world.AdvanceAsync(TimeSpan.FromSeconds(7));    // attempt 2: no answer within the timeout
        Assert.Contains(world.Queue.History, h => h.Command is { Step: 0, Attempt: 3 } && h.Delay == TimeSpan.FromMinutes(10));
        await world.AdvanceAsync(TimeSpan.FromMinutes(10));   // attempt 3: accepted
        await world.AdvanceAsync(TimeSpan.FromHours(3));      // nothing more

        Assert.Equal(1, sink.AcceptedEmails);
        Assert.Equal(4, sink.RequestsFor(ProviderKind.SendGrid).Count);
        var email = Assert.Single(sink.Emails);
        Assert.Equal("accueil@althea.example", email.To);
        Assert.Equal("Accueil", email.ToName);
        Assert.Equal("permanence@agence.example", email.From);
        Assert.Equal("[Standard] Prise de rendez-vous – Mme Durand", email.Subject);
        Assert.Contains("Rappeler au plus vite", email.Text, StringComparison.Ordinal);
        Assert.Contains("Cabinet Médical Althéa", email.Html, StringComparison.Ordinal);
        Assert.Contains("Pris le", email.Text, StringComparison.Ordinal); // French: the client's locale
        Assert.Equal($"Bearer {SendGridKey}", email.Request.Header("Authorization"));

        var attempts = (await world.GetMessageAsync(id))["deliveries"]!.AsArray();
        Assert.Equal([0, 1, 2, 3], attempts.Select(a => (int)a!["attempt"]!));
        Assert.Equal(["retrying", "retrying", "retrying", "sent"], attempts.Select(a => (string)a!["status"]!));
        Assert.Equal("HTTP 500", (string?)attempts[0]!["error"]);
        Assert.StartsWith("HTTP 429", (string?)attempts[1]!["error"], StringComparison.Ordinal);
        Assert.Contains("timeout", (string?)attempts[2]!["error"], StringComparison.Ordinal);
        Assert.Equal(email.ProviderId, (string?)attempts[3]!["providerId"]);
        Assert.All(attempts, a => Assert.DoesNotContain(SendGridKey, a!.ToJsonString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Email400_IsPermanent_AndTheSmsStillGoes_OnceEvenWhenTheCommandComesThreeTimes()
    {
        await using var sink = await ProviderSink.StartAsync();
        await using var world = World(sink, RoutingWorld.TuesdayEveningParis.AddDays(105));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        sink.Script(ProviderKind.SendGrid, SinkAnswer.Error(400, message: "The to email does not contain a valid address."));
        var id = await world.PostMessageAsync(clientId, "urgence");
        var command = Assert.Single(world.Queue.TakeDue());
        var dispatcher = world.Services.GetRequiredService<RoutingDispatcher>();
        await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => dispatcher.DispatchAsync(command.ToJson(), "twice", CancellationToken.None)));
        await dispatcher.DispatchAsync(command.ToJson(), "again", CancellationToken.None);

        Assert.Equal(1, sink.AcceptedSms);
        Assert.Single(sink.RequestsFor(ProviderKind.SendGrid));
        var sms = Assert.Single(sink.Sms);
        Assert.Equal("+33612345678", sms.To);
        Assert.Equal("+33757000000", sms.From);
        Assert.Equal(TwilioSid, sms.AccountSid);
        Assert.Contains("[URGENT] Urgence", sms.Body, StringComparison.Ordinal);
        Assert.Equal((TwilioSid, TestKeys.TwilioAuthToken), sms.Request.BasicCredentials);
        var deliveries = await world.DeliveriesAsync(id);
        Assert.Contains((0, "dr-martin", "email", "failed"), deliveries);
        Assert.Contains((0, "dr-martin", "sms", "sent"), deliveries);
        Assert.Equal(2, deliveries.Count);
        // Someone was reached: the escalation waits for the acknowledgement, it does not skip ahead.
        Assert.DoesNotContain(world.Queue.History, h => h.Command.Step == 1 && h.Delay == TimeSpan.Zero);
        Assert.Contains(world.Queue.History, h => h.Command.Step == 1 && h.Delay == TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task EveryChannelFailing_SendsOneFallbackEmail_ToTheAgency()
    {
        await using var sink = await ProviderSink.StartAsync();
        await using var world = World(sink, RoutingWorld.TuesdayEveningParis.AddDays(112), fallbackEmail: "superviseur@agence.example");
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        sink.Script(ProviderKind.SendGrid, SinkAnswer.Error(400));
        var id = await world.PostMessageAsync(clientId, "rdv");
        await world.PumpAsync();
        await world.AdvanceAsync(TimeSpan.FromHours(1));
        // A redelivered command changes nothing: still one fallback.
        await world.Services.GetRequiredService<RoutingDispatcher>().DispatchAsync(
            new RoutingCommand(RoutingCommand.Route, clientId, id, 0, 0).ToJson(), "redelivered", CancellationToken.None);

        var fallback = Assert.Single(sink.Emails);
        Assert.Equal("superviseur@agence.example", fallback.To);
        Assert.StartsWith("Message non transmis", fallback.Subject, StringComparison.Ordinal);
        Assert.Contains("Rappeler au plus vite", fallback.Text, StringComparison.Ordinal);
        Assert.Equal([(0, "accueil", "email", "failed"), (RoutingService.FallbackStep, RoutingService.FallbackContact, "email", "sent")],
            await world.DeliveriesAsync(id));
    }

    [Fact]
    public async Task CriticalEscalation_EveryStepFailing_SendsOneFallback_AfterTheLastStep()
    {
        await using var sink = await ProviderSink.StartAsync();
        await using var world = World(sink, RoutingWorld.TuesdayEveningParis.AddDays(119));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        sink.AnswerByDefault(ProviderKind.SendGrid, SinkAnswer.Error(403));
        sink.AnswerByDefault(ProviderKind.Twilio, SinkAnswer.Error(400, twilioCode: 21211));
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();

        // Nobody reached at a step: no acknowledgement can come, so the next step runs at once; then the fallback
        // (no Permanence:FallbackEmail here: it goes to the outbox).
        var deliveries = await world.DeliveriesAsync(id);
        Assert.Equal(["ran", "ran", "ran"], (await world.GetMessageAsync(id))["escalation"]!.AsArray().Select(s => (string)s!["status"]!));
        Assert.All(deliveries.Where(d => d.Step != RoutingService.FallbackStep), d => Assert.Equal("failed", d.Status));
        Assert.Single(deliveries, d => d.Step == RoutingService.FallbackStep && d.Status == "sent");
        var outbox = await world.OutboxAsync(clientId, id);
        var file = Assert.Single(outbox);
        Assert.Equal("fallback.eml", file.Key);
        Assert.Contains("Subject: Message non transmis", file.Value, StringComparison.Ordinal);
        Assert.Equal(0, sink.AcceptedEmails + sink.AcceptedSms);
    }
}
