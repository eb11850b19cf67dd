using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NodaTime;
using Permanence.Core.Routing;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Fuzz;

/// <summary>
/// The fuzz run's own world on one host: dedicated clients and numbers, API keys scoped to them, and a few
/// calls and messages that exist before the first generated request (so generated ids hit real records).
/// </summary>
public sealed class FuzzWorld : IAsyncDisposable
{
    private static int _numberBlocks = Random.Shared.Next(0, 9_000);

    private FuzzWorld(IApiHost host, string connectionString, string run, int numberBlock)
    {
        Host = host;
        Http = host is null ? null! : host.CreateClient();
        ConnectionString = connectionString;
        Run = run;
        Client = $"fz{run}-main";
        OtherClient = $"fz{run}-other";
        PutClients = Enumerable.Range(0, 4).Select(k => $"fz{run}-put{k}").ToArray();
        LeavingClient = $"fz{run}-leaving";
        string Number(int k) => $"+33187{(numberBlock * 100 + k) % 1_000_000:D6}";
        ClientNumber = Number(0);
        OtherNumber = Number(1);
        FreeNumber = Number(2);
        PutNumbers = Enumerable.Range(0, 4).Select(k => Number(10 + k)).ToArray();
        SmsPhone = Number(20);
        LeavingNumber = Number(30);
        CallIds = Enumerable.Range(0, 5).Select(k => $"fz{run}-c{k}").ToArray();
        UnmatchedCallId = $"fz{run}-unmatched";
        TwilioSids = Enumerable.Range(0, 3).Select(k => $"CA{run}{k:D24}").ToArray();
        AircallIds = Enumerable.Range(0, 3).Select(k => 7_000_000_000L + numberBlock * 100L + k).ToArray();
        IdempotencyKeys = Enumerable.Range(0, 3).Select(k => $"fz-{run}-idem-{k}").ToArray();
    }

    public IApiHost Host { get; }
    public HttpClient Http { get; }
    public string ConnectionString { get; }
    public string Run { get; }

    /// <summary>The client most generated requests are about; its number is <see cref="ClientNumber"/>.</summary>
    public string Client { get; }
    public string ClientNumber { get; }

    /// <summary>A client no fuzz-scoped key may reach.</summary>
    public string OtherClient { get; }
    public string OtherNumber { get; }

    /// <summary>A number no client owns: calls to it are unmatched.</summary>
    public string FreeNumber { get; }

    /// <summary>Clients PUT /clients creates and versions (the first exists before the run), each with its own number.</summary>
    public string[] PutClients { get; }

    /// <summary>A client whose offboarding the seed brought to "ready": the offboarding routes' valid requests are about it.</summary>
    public string LeavingClient { get; }

    public string LeavingNumber { get; }

    /// <summary>The SHA-256 of the leaving client's offboarding manifest: a confirmation with it deletes that client.</summary>
    public string LeavingManifestSha256 { get; private set; } = "";
    public string[] PutNumbers { get; }

    public string[] CallIds { get; }
    public string UnmatchedCallId { get; }
    public string[] TwilioSids { get; }
    public long[] AircallIds { get; }
    public string[] IdempotencyKeys { get; }

    /// <summary>
    /// Messages of <see cref="Client"/>: [0] and [1] are what GET /messages reads and valid ack links point at;
    /// [2] is acknowledged before the run; [3] and [4] have SMS reply codes sent to <see cref="SmsPhone"/>.
    /// </summary>
    public List<string> MessageIds { get; } = [];

    /// <summary>The contact's phone the SMS reply codes of the run were sent to (no other test's number).</summary>
    public string SmsPhone { get; }

    /// <summary>The reply codes sent to <see cref="SmsPhone"/>, for messages [3] and [4].</summary>
    public List<string> SmsReplyCodes { get; } = [];

    /// <summary>Tokens for /acks/{token}: valid ones minted with the host's own signing key, expired, forged, malformed, hostile.</summary>
    public List<string> AckTokenPool { get; } = [];

    private int _fresh;

    /// <summary>A number no earlier request of this world used (fresh call ids for shrinking).</summary>
    public int NextFresh() => Interlocked.Increment(ref _fresh);

    public string ScopedOperatorKey => $"fuzz-operator-key-{Run}-000000";
    public string ScopedAdminKey => $"fuzz-admin-key-{Run}-000000000";
    public string ScopedAuditorKey => $"fuzz-auditor-key-{Run}-0000000";
    public string OtherOperatorKey => $"fuzz-other-operator-key-{Run}-0";
    public string OtherAdminKey => $"fuzz-other-admin-key-{Run}-0000";

    public string CallerNumber => "+33612345678";

    public ObservedRoutingQueue RoutingQueue => Host.Services.GetRequiredService<ObservedRoutingQueue>();

    public Task<StorageSnapshot> SnapshotAsync() => StorageSnapshot.TakeAsync(ConnectionString, RoutingQueue.Sent.Count);

    public static async Task<FuzzWorld> CreateAsync(IApiHostFactory factory)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var block = Interlocked.Increment(ref _numberBlocks);
        var connectionString = TestEnvironment.StorageConnectionString;
        var settings = TestKeys.Settings(connectionString);
        var probe = new FuzzWorld(null!, connectionString, run, block);
        string[] fuzzScope = [probe.Client, .. probe.PutClients, probe.LeavingClient];
        AddKey(settings, 5, probe.ScopedOperatorKey, "operator", fuzzScope);
        AddKey(settings, 6, probe.ScopedAdminKey, "admin", fuzzScope);
        AddKey(settings, 7, probe.ScopedAuditorKey, "auditor", fuzzScope);
        AddKey(settings, 8, probe.OtherOperatorKey, "operator", [probe.OtherClient]);
        AddKey(settings, 9, probe.OtherAdminKey, "admin", [probe.OtherClient]);
        var world = new FuzzWorld(factory.Create(settings), connectionString, run, block);
        await world.SeedAsync();
        return world;
    }

    private static void AddKey(Dictionary<string, string?> settings, int index, string key, string role, string[] clients)
    {
        settings[$"Permanence:ApiKeys:{index}:Key"] = key;
        settings[$"Permanence:ApiKeys:{index}:Role"] = role;
        for (var i = 0; i < clients.Length; i++)
        {
            settings[$"Permanence:ApiKeys:{index}:Clients:{i}"] = clients[i];
        }
    }

    private async Task SeedAsync()
    {
        await Expect(HttpStatusCode.Created, Api.Request(HttpMethod.Put, $"/api/clients/{Client}", TestKeys.Admin, Api.Althea(ClientNumber)));
        await Expect(HttpStatusCode.Created, Api.Request(HttpMethod.Put, $"/api/clients/{OtherClient}", TestKeys.Admin, Api.Althea(OtherNumber)));
        await Expect(HttpStatusCode.Created, Api.Request(HttpMethod.Put, $"/api/clients/{PutClients[0]}", TestKeys.Admin, Api.Althea(PutNumbers[0])));
        foreach (var callId in CallIds.Take(2))
        {
            await Expect(HttpStatusCode.OK, Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, CallRecord(callId, 0)));
        }
        var unmatched = CallRecord(UnmatchedCallId, 0);
        unmatched["to"] = FreeNumber;
        await Expect(HttpStatusCode.Accepted, Api.Request(HttpMethod.Post, "/api/calls", TestKeys.Operator, unmatched));
        await Expect(HttpStatusCode.OK, new FuzzRenderer(this).Render(new FuzzCase { Route = FuzzRoute.Twilio }).ToMessage());
        await Expect(HttpStatusCode.OK, new FuzzRenderer(this).Render(new FuzzCase { Route = FuzzRoute.Aircall }).ToMessage());
        for (var i = 0; i < 5; i++)
        {
            var response = await Http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, Message(i)));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
            MessageIds.Add((string)(await response.JsonAsync())["id"]!);
        }
        await SeedAcknowledgementsAsync();
        await SeedOffboardingAsync();
    }

    /// <summary>The leaving client, offboarded up to "ready" before any snapshot: its preparation runs in the background.</summary>
    private async Task SeedOffboardingAsync()
    {
        await Expect(HttpStatusCode.Created, Api.Request(HttpMethod.Put, $"/api/clients/{LeavingClient}", TestKeys.Admin, Api.Althea(LeavingNumber)));
        await Expect(HttpStatusCode.Accepted, Api.Request(HttpMethod.Post, $"/api/admin/clients/{LeavingClient}/offboard", TestKeys.Admin));
        for (var attempt = 0; attempt < 600 && LeavingManifestSha256.Length == 0; attempt++)
        {
            var status = await (await Http.SendAsync(Api.Request(HttpMethod.Get, $"/api/admin/clients/{LeavingClient}/offboard", TestKeys.Admin))).JsonAsync();
            if ((string?)status["status"] == "ready")
            {
                LeavingManifestSha256 = (string)status["manifestSha256"]!;
            }
            else
            {
                await Task.Delay(100);
            }
        }
        Assert.True(LeavingManifestSha256.Length == 64, "The leaving client's offboarding never became ready.");
    }

    /// <summary>
    /// Ack links as the router would send them, minted with the host's AckTokens (its signing key) and clock, and
    /// SMS reply codes stored as the router stores them when it texts a contact (routing does not run here).
    /// </summary>
    private async Task SeedAcknowledgementsAsync()
    {
        var tokens = Host.Services.GetRequiredService<AckTokens>();
        var now = Instant.FromDateTimeOffset(Host.Services.GetRequiredService<TimeProvider>().GetUtcNow());
        var valid = now + AckTokens.Lifetime;
        var unknownMessage = "msg-" + new string('0', 32);
        var first = tokens.Issue(MessageIds[0], "dr-martin", valid);
        var mac = first.LastIndexOf('~') + 1;
        AckTokenPool.AddRange(
        [
            first,
            tokens.Issue(MessageIds[1], "dr-roux", valid),
            tokens.Issue(MessageIds[2], "dr-martin", valid),
            tokens.Issue(MessageIds[0], "dr-roux", now), // expired: expiry is now
            first[..mac] + (first[mac] == 'A' ? 'B' : 'A') + first[(mac + 1)..], // forged: one character of the MAC flipped
            first.Replace(MessageIds[0], MessageIds[1], StringComparison.Ordinal), // forged: another message under this MAC
            tokens.Issue(unknownMessage, "dr-martin", valid), // signed, but no such message
            tokens.Issue(unknownMessage, "dr-martin", now - Duration.FromHours(1)), // expired, no such message
            tokens.Issue(MessageIds[1], "nobody", valid), // signed for a contact the configuration does not have
            tokens.Issue(MessageIds[1], "dr-martin", Instant.MaxValue),
            tokens.Issue(MessageIds[1], "dr-martin", Instant.MinValue),
            first.ToUpperInvariant(),
            first + "~x",
            first[..mac],
            "~~~",
            "not-a-token",
            first + new string('A', 400),
            new string('x', 5_000),
            "../../messages/" + MessageIds[0],
            "..",
            "accusé-✓~dr-martin~📞~x",
            // Control characters, but no NUL: the test server throws on %00 before the app (Kestrel answers 400 itself).
            "\u0001\n" + first,
            first + "\u001F",
            "\r\n" + first + "\u007F",
            "%2E%2E%2F" + first,
            first + "' or PartitionKey ne '",
        ]);

        await Expect(HttpStatusCode.OK, new HttpRequestMessage(HttpMethod.Post, $"/api/acks/{Uri.EscapeDataString(AckTokenPool[2])}"));

        var store = Host.Services.GetRequiredService<IAcknowledgementStore>();
        for (var i = 3; i < 5; i++)
        {
            var code = tokens.ReplyCode(MessageIds[i], "dr-martin");
            SmsReplyCodes.Add(code);
            await store.AddReplyCodeAsync(new SmsReplyCode(SmsPhone, MessageIds[i], Client, "dr-martin", code, now - Duration.FromMinutes(10 - i)), CancellationToken.None);
        }
    }

    private async Task Expect(HttpStatusCode status, HttpRequestMessage request)
    {
        var response = await Http.SendAsync(request);
        Assert.True(response.StatusCode == status, $"seeding {request.Method} {request.RequestUri}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static readonly string[] Outcomes = ["answered", "missed", "abandoned", "voicemail", "busy", "failed"];

    /// <summary>A valid normalised call record of the fuzz client.</summary>
    public JsonObject CallRecord(string callId, int variant)
    {
        var outcome = Outcomes[variant % Outcomes.Length];
        var record = new JsonObject
        {
            ["provider"] = "pbx",
            ["callId"] = callId,
            ["direction"] = "inbound",
            ["from"] = "06 12 34 56 78",
            ["to"] = ClientNumber,
            ["startedAt"] = "2026-10-05T17:31:10Z",
            ["answeredAt"] = outcome == "answered" ? "2026-10-05T17:31:22Z" : null,
            ["endedAt"] = "2026-10-05T17:35:00Z",
            ["outcome"] = outcome,
            ["agentId"] = "op-12",
        };
        if (variant % 2 == 1)
        {
            record["clientId"] = Client;
        }
        return record;
    }

    private static readonly string[] Scenarios = ["urgence", "rdv", "resultats", "livraison"];

    /// <summary>A valid operator message for the fuzz client.</summary>
    public JsonObject Message(int variant) => new()
    {
        ["clientId"] = Client,
        ["callId"] = $"aircall:{AircallIds[0]}",
        ["scenario"] = Scenarios[variant % Scenarios.Length],
        ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "06 12 34 56 78", ["email"] = "durand@example.org" },
        ["fields"] = new JsonObject { ["symptoms"] = "fièvre depuis hier", ["preferredDate"] = "mardi matin" },
        ["text"] = "Rappeler au plus vite",
        ["operatorId"] = "op-12",
        ["takenAt"] = "2026-10-05T19:42:10Z",
    };

    private static readonly string[] TwilioStatuses = ["ringing", "in-progress", "completed", "no-answer", "busy", "failed", "canceled", "queued"];

    public List<KeyValuePair<string, string>> TwilioForm(int pool, int variant) =>
    [
        new("AccountSid", "AC00000000000000000000000000000000"),
        new("ApiVersion", "2010-04-01"),
        new("CallSid", TwilioSids[pool % TwilioSids.Length]),
        new("CallStatus", TwilioStatuses[variant % TwilioStatuses.Length]),
        new("Direction", "inbound"),
        new("From", CallerNumber),
        new("To", ClientNumber),
        new("Timestamp", "Mon, 05 Oct 2026 07:31:10 +0000"),
    ];

    /// <summary>An inbound SMS as Twilio posts it: the variant picks the text (reply codes of messages [3] and [4], or words).</summary>
    public List<KeyValuePair<string, string>> SmsForm(int pool, int variant) =>
    [
        new("ToCountry", "FR"),
        new("SmsMessageSid", $"SM{Run}{pool:D26}"),
        new("NumMedia", "0"),
        new("SmsSid", $"SM{Run}{pool:D26}"),
        new("SmsStatus", "received"),
        new("Body", (variant % 6) switch
        {
            0 => $"OK {SmsReplyCodes[0]}",
            1 => SmsReplyCodes[1],
            2 => $"ok {SmsReplyCodes[0]}.",
            3 => "Je rappelle la patiente",
            4 => $"  {SmsReplyCodes[1]}!\n",
            _ => "STOP",
        }),
        new("To", ClientNumber),
        new("NumSegments", "1"),
        new("MessageSid", $"SM{Run}{pool:D26}"),
        new("AccountSid", "AC00000000000000000000000000000000"),
        new("From", SmsPhone),
        new("ApiVersion", "2010-04-01"),
    ];

    private static readonly string[] AircallEvents = ["call.created", "call.answered", "call.hungup", "call.ended", "call.voicemail_left", "call.commented"];

    public JsonObject AircallEvent(int pool, int variant)
    {
        const long started = 1791183000; // Monday 5 October 2026 07:30:00Z
        var eventName = AircallEvents[variant % AircallEvents.Length];
        long? answered = eventName is "call.answered" or "call.hungup" ? started + 9 : null;
        long? ended = eventName is "call.hungup" or "call.ended" ? started + 200 : null;
        return new JsonObject
        {
            ["resource"] = "call",
            ["event"] = eventName,
            ["timestamp"] = ended ?? answered ?? started,
            ["token"] = TestKeys.AircallToken,
            ["data"] = new JsonObject
            {
                ["id"] = AircallIds[pool % AircallIds.Length],
                ["direction"] = "inbound",
                ["status"] = ended is null ? "initial" : "done",
                ["started_at"] = started,
                ["answered_at"] = answered,
                ["ended_at"] = ended,
                ["raw_digits"] = "+33 6 12 34 56 78",
                ["number"] = new JsonObject { ["digits"] = ClientNumber },
                ["user"] = answered is null ? null : new JsonObject { ["id"] = 4242 },
                ["missed_call_reason"] = eventName == "call.ended" ? "short_abandoned" : null,
                ["voicemail"] = null,
            },
        };
    }

    public ValueTask DisposeAsync()
    {
        Http.Dispose();
        return Host.DisposeAsync();
    }
}
