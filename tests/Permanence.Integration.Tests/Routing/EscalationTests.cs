using System.Net;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Permanence.Core.Routing;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// Escalation on the real composition (README, "Routing"): the Standalone host on Azurite, email and SMS to the
/// outbox container, the queue and the clock driven by the test so that minutes pass without waiting.
/// </summary>
public sealed partial class EscalationTests
{
    private static readonly TimeSpan TenMinutes = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task StandardMessage_GoesAsExactlyOneEmail_ToTheStepContact()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis);
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "rdv");
        await world.PumpAsync();
        await world.AdvanceAsync(TimeSpan.FromHours(3));

        Assert.Equal([(0, "accueil", "email", "sent")], await world.DeliveriesAsync(id));
        var files = await world.OutboxAsync(clientId, id);
        var email = Assert.Single(files);
        Assert.Equal("0.accueil.email.eml", email.Key);
        Assert.Contains("To: \"Accueil\" <accueil@althea.example>", email.Value, StringComparison.Ordinal);
        Assert.Contains("Subject: [Standard] Prise de rendez-vous – Mme Durand", email.Value, StringComparison.Ordinal);
        Assert.Contains("Rappeler au plus vite", email.Value, StringComparison.Ordinal);
        Assert.Contains("Content-Language: fr-FR", email.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("/api/acks/", email.Value, StringComparison.Ordinal); // no acknowledgement asked
        Assert.Equal(0, world.Queue.PendingCount);
    }

    [Fact]
    public async Task CriticalMessage_TuesdayEvening_GoesToTheOnCallContact_ThenEscalatesWithoutAck()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis);
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();

        // Step 0: $onCall on a Tuesday at 20:00 is Dr Martin, by SMS and email.
        Assert.Equal([(0, "dr-martin", "sms", "sent"), (0, "dr-martin", "email", "sent")], Sorted(await world.DeliveriesAsync(id), 0));
        var next = Assert.Single(world.Queue.History, h => h.Command.Step == 1);
        Assert.Equal(TenMinutes, next.Delay);
        var files = await world.OutboxAsync(clientId, id);
        var sms = files["0.dr-martin.sms.txt"];
        Assert.StartsWith("To: +33612345678", sms, StringComparison.Ordinal);
        Assert.Contains("[URGENT] Urgence", sms, StringComparison.Ordinal);
        Assert.Contains("rappeler +33612345678", sms, StringComparison.Ordinal); // the caller's number, normalised
        Assert.Matches(@"https://permanence\.example/api/acks/\S+ ou répondre \d{4}", sms);
        Assert.True(SmsText.Septets(sms[(sms.IndexOf("\n\n", StringComparison.Ordinal) + 2)..].TrimEnd('\n')) is > 0 and <= SmsText.MaxSeptets);
        Assert.Contains("/api/acks/", files["0.dr-martin.email.eml"], StringComparison.Ordinal);

        // Nothing happens before the deadline...
        await world.AdvanceAsync(TimeSpan.FromMinutes(9));
        Assert.DoesNotContain(await world.DeliveriesAsync(id), d => d.Step == 1);
        // ...then step 1 (Dr Martin and Dr Roux by SMS), then step 2 (Accueil by email) ten minutes later.
        await world.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal([(1, "dr-martin", "sms", "sent"), (1, "dr-roux", "sms", "sent")], Sorted(await world.DeliveriesAsync(id), 1));
        await world.AdvanceAsync(TenMinutes);
        Assert.Equal([(2, "accueil", "email", "sent")], Sorted(await world.DeliveriesAsync(id), 2));
        var steps = (await world.GetMessageAsync(id))["escalation"]!.AsArray();
        Assert.Equal(["ran", "ran", "ran"], steps.Select(s => (string)s!["status"]!));
        Assert.Equal(0, world.Queue.PendingCount);
    }

    [Fact]
    public async Task AckLink_GetChangesNothing_PostStopsTheEscalation()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(7));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        var link = AckLink().Match((await world.OutboxAsync(clientId, id))["0.dr-martin.email.eml"]).Value;
        var path = new Uri(link).AbsolutePath;

        var page = await world.Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Cabinet Médical Althéa", html, StringComparison.Ordinal);
        Assert.Contains("<form method=\"post\">", html, StringComparison.Ordinal);
        Assert.Empty((await world.GetMessageAsync(id))["acknowledgements"]!.AsArray());

        // A GET (a mail scanner) does not stop step 1.
        await world.AdvanceAsync(TenMinutes);
        Assert.Contains(await world.DeliveriesAsync(id), d => d.Step == 1);

        var post = await world.Http.PostAsync(path, null);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var ack = await post.JsonAsync();
        Assert.Equal(id, (string?)ack["messageId"]);
        Assert.Equal("dr-martin", (string?)ack["contact"]);
        Assert.Equal("link", (string?)ack["channel"]);

        await world.AdvanceAsync(TenMinutes);
        var message = await world.GetMessageAsync(id);
        Assert.DoesNotContain(await world.DeliveriesAsync(id), d => d.Step == 2);
        Assert.Equal("cancelled", (string?)message["escalation"]!.AsArray().Single(s => (int)s!["step"]! == 2)!["status"]);
        var acknowledgement = Assert.Single(message["acknowledgements"]!.AsArray());
        Assert.Equal("dr-martin", (string?)acknowledgement!["contact"]);

        // A second POST keeps the first acknowledgement.
        Assert.Equal(HttpStatusCode.OK, (await world.Http.PostAsync(path, null)).StatusCode);
        Assert.Single((await world.GetMessageAsync(id))["acknowledgements"]!.AsArray());
    }

    [Fact]
    public async Task AckLink_Forged404_Expired410_AndABrowserGetsAPage()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(14));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        var path = new Uri(AckLink().Match((await world.OutboxAsync(clientId, id))["0.dr-martin.email.eml"]).Value).AbsolutePath;

        var forged = path[..^1] + (path[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(HttpStatusCode.NotFound, (await world.Http.GetAsync(forged)).StatusCode);
        var forgedPost = await world.Http.PostAsync(forged, null);
        Assert.Equal(HttpStatusCode.NotFound, forgedPost.StatusCode);
        Assert.Equal("application/problem+json", forgedPost.Content.Headers.ContentType?.MediaType);
        var browser = new HttpRequestMessage(HttpMethod.Get, forged);
        browser.Headers.Accept.ParseAdd("text/html");
        var page = await world.Http.SendAsync(browser);
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        world.Time.Advance(TimeSpan.FromHours(24));
        Assert.Equal(HttpStatusCode.Gone, (await world.Http.GetAsync(path)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await world.Http.PostAsync(path, null)).StatusCode);
        Assert.Empty((await world.GetMessageAsync(id))["acknowledgements"]!.AsArray());
    }

    [Fact]
    public async Task SmsReplyCode_FromTheOnCallPhone_StopsTheEscalation()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(21));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        var sms = (await world.OutboxAsync(clientId, id))["0.dr-martin.sms.txt"];
        var code = ReplyCode().Match(sms).Groups[1].Value;
        Assert.Matches("^[0-9]{4}$", code);

        // A wrong code and another phone acknowledge nothing.
        Assert.DoesNotContain("<Message>", await ReplyAsync(world, "+33612345678", code == "0000" ? "1111" : "0000"), StringComparison.Ordinal);
        Assert.DoesNotContain("<Message>", await ReplyAsync(world, "+33698765432", code), StringComparison.Ordinal);
        Assert.Empty((await world.GetMessageAsync(id))["acknowledgements"]!.AsArray());

        var twiml = await ReplyAsync(world, "+33612345678", $"ok {code}");
        Assert.Contains("<Message>Prise en charge enregistrée. Merci.</Message>", twiml, StringComparison.Ordinal);
        await world.AdvanceAsync(TenMinutes);
        var message = await world.GetMessageAsync(id);
        var ack = Assert.Single(message["acknowledgements"]!.AsArray());
        Assert.Equal("sms", (string?)ack!["channel"]);
        Assert.Equal("dr-martin", (string?)ack["contact"]);
        Assert.DoesNotContain(await world.DeliveriesAsync(id), d => d.Step >= 1);
    }

    [Fact]
    public async Task InboundSms_WithoutAValidTwilioSignature_Is403_AndAcknowledgesNothing()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(28));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        var code = ReplyCode().Match((await world.OutboxAsync(clientId, id))["0.dr-martin.sms.txt"]).Groups[1].Value;
        var form = new Dictionary<string, string> { ["From"] = "+33612345678", ["Body"] = code, ["MessageSid"] = "SM1" };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telephony/twilio/sms") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio/sms", form, "not-the-auth-token"));
        Assert.Equal(HttpStatusCode.Forbidden, (await world.Http.SendAsync(request)).StatusCode);
        Assert.Empty((await world.GetMessageAsync(id))["acknowledgements"]!.AsArray());
    }

    [Fact]
    public async Task Override_PutsAnotherContactOnCall_ForItsDates()
    {
        var now = RoutingWorld.TuesdayEveningParis.AddDays(35); // Tuesday 5 January 2027, 20:00 in Paris
        await using var world = new RoutingWorld(now);
        var clientId = await world.PutClientAsync(RoutingWorld.Althea(c => c["onCallOverrides"] = new JsonArray(
            new JsonObject { ["contact"] = "dr-roux", ["from"] = "2027-01-05T18:30", ["to"] = "2027-01-06T08:30" })));
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        Assert.Equal([(0, "dr-roux", "sms", "sent"), (0, "dr-roux", "email", "skipped")], Sorted(await world.DeliveriesAsync(id), 0));
    }

    [Fact]
    public async Task NobodyOnCall_SkipsTheStep_AndTheNextRunsAtOnce()
    {
        var now = RoutingWorld.TuesdayEveningParis.AddDays(42).AddHours(-9); // a Tuesday, 11:00 in Paris: no rota entry
        await using var world = new RoutingWorld(now);
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        var message = await world.GetMessageAsync(id);
        var step0 = message["escalation"]!.AsArray()[0]!;
        Assert.Equal("skipped", (string?)step0["status"]);
        Assert.Equal("nobody on call", (string?)step0["reason"]);
        Assert.Equal([(1, "dr-martin", "sms", "sent"), (1, "dr-roux", "sms", "sent")], Sorted(await world.DeliveriesAsync(id), 1));
        Assert.Contains(world.Queue.History, h => h.Command.Step == 1 && h.Delay == TimeSpan.Zero);
    }

    [Fact]
    public async Task SameCommand_DeliveredThreeTimes_SendsOnce()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(49));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        var command = Assert.Single(world.Queue.TakeDue());
        var dispatcher = (RoutingDispatcher)world.Services.GetService(typeof(RoutingDispatcher))!;
        // Twice at once (two consumers), then once more later (a redelivery).
        await Task.WhenAll(
            dispatcher.DispatchAsync(command.ToJson(), "a", CancellationToken.None),
            dispatcher.DispatchAsync(command.ToJson(), "b", CancellationToken.None));
        await dispatcher.DispatchAsync(command.ToJson(), "c", CancellationToken.None);
        var deliveries = await world.DeliveriesAsync(id);
        Assert.Equal(2, deliveries.Count);
        Assert.All(deliveries, d => Assert.Equal("sent", d.Status));
        Assert.Equal(2, (await world.OutboxAsync(clientId, id)).Count);
    }

    private static List<(int Step, string Contact, string Channel, string Status)> Sorted(
        IEnumerable<(int Step, string Contact, string Channel, string Status)> deliveries, int step) =>
        deliveries.Where(d => d.Step == step)
            .OrderBy(d => d.Contact, StringComparer.Ordinal)
            .ThenBy(d => d.Channel == "sms" ? 0 : 1)
            .ToList();

    internal static async Task<string> ReplyAsync(RoutingWorld world, string from, string body)
    {
        var form = new Dictionary<string, string> { ["From"] = from, ["To"] = "+33757000000", ["Body"] = body, ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N") };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telephony/twilio/sms") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio/sms", form));
        var response = await world.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex(@"https://permanence\.example/api/acks/[A-Za-z0-9._:~-]+")]
    private static partial Regex AckLink();

    [GeneratedRegex(@"répondre ([0-9]{4})")]
    private static partial Regex ReplyCode();
}

/// <summary>Robustness of routing after review: interrupted sends, SMS reply guessing and ambiguity.</summary>
public sealed class RoutingRobustnessTests
{
    [Fact]
    public async Task IntentLeftInFlight_IsRetriedOnceItIsStale_NotLeftWaitingForever()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(126));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "rdv");
        // A consumer wrote its intent, then failed before recording the result (its command comes back at once).
        var store = world.Services.GetRequiredService<IDeliveryStore>();
        var now = NodaTime.Instant.FromDateTimeOffset(world.Time.GetUtcNow());
        Assert.True(await store.TryAddAttemptAsync(new DeliveryAttempt
        {
            MessageId = id, ClientId = clientId, Step = 0, ContactId = "accueil", Channel = "email", Attempt = 0,
            Status = DeliveryStatus.Sending, CreatedAt = now,
        }, CancellationToken.None));
        await world.AddStepAsync(id, clientId, now);

        await world.PumpAsync();
        Assert.Contains(world.Queue.History, h => h.Command is { Step: 0, Attempt: 1 } && h.Delay == TimeSpan.FromMinutes(2));
        await world.AdvanceAsync(TimeSpan.FromMinutes(2));

        var attempts = (await world.GetMessageAsync(id))["deliveries"]!.AsArray();
        Assert.Equal(["failed", "sent"], attempts.Select(a => (string)a!["status"]!));
        Assert.StartsWith("interrupted", (string?)attempts[0]!["error"], StringComparison.Ordinal);
        Assert.Single(await world.OutboxAsync(clientId, id));
    }

    [Fact]
    public async Task SmsReply_MatchingTwoPendingMessages_AcknowledgesNeither()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(133));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var first = await world.PostMessageAsync(clientId, "urgence");
        var second = await world.PostMessageAsync(clientId, "urgence");
        var codes = world.Services.GetRequiredService<IAcknowledgementStore>();
        var now = NodaTime.Instant.FromDateTimeOffset(world.Time.GetUtcNow());
        await codes.AddReplyCodeAsync(new SmsReplyCode("+33611111111", first, clientId, "dr-martin", "4321", now), CancellationToken.None);
        await codes.AddReplyCodeAsync(new SmsReplyCode("+33611111111", second, clientId, "dr-martin", "4321", now), CancellationToken.None);

        var twiml = await EscalationTests.ReplyAsync(world, "+33611111111", "4321");
        Assert.Contains("Plusieurs messages en attente ont ce code", twiml, StringComparison.Ordinal);
        Assert.Empty((await world.GetMessageAsync(first))["acknowledgements"]!.AsArray());
        Assert.Empty((await world.GetMessageAsync(second))["acknowledgements"]!.AsArray());
    }

    [Fact]
    public async Task SmsReply_AfterTenWrongCodesInADay_IsNoLongerRead()
    {
        await using var world = new RoutingWorld(RoutingWorld.TuesdayEveningParis.AddDays(140));
        var clientId = await world.PutClientAsync(RoutingWorld.Althea());
        var id = await world.PostMessageAsync(clientId, "urgence");
        await world.PumpAsync();
        var code = Regex.Match((await world.OutboxAsync(clientId, id))["0.dr-martin.sms.txt"], "répondre ([0-9]{4})").Groups[1].Value;
        var wrong = code == "0000" ? "1111" : "0000";
        for (var i = 0; i < AcknowledgementService.MaxReplyFailuresPerDay; i++)
        {
            await EscalationTests.ReplyAsync(world, "+33612345678", wrong);
        }
        Assert.DoesNotContain("<Message>", await EscalationTests.ReplyAsync(world, "+33612345678", code), StringComparison.Ordinal);
        Assert.Empty((await world.GetMessageAsync(id))["acknowledgements"]!.AsArray());
        // The next day (UTC) the number's replies are read again.
        world.Time.Advance(TimeSpan.FromHours(6));
        Assert.Contains("<Message>", await EscalationTests.ReplyAsync(world, "+33612345678", code), StringComparison.Ordinal);
    }
}
