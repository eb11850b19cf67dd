using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Fuzz;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Isolation;

/// <summary>
/// Two clients configured by the admin, A and B, each with calls (POST /calls, Aircall, Twilio) and messages,
/// and one key per role scoped to B only. Every piece of A's data carries a marker (client id, caller numbers,
/// texts, names) that must never show up in an answer to a B key.
/// </summary>
public sealed class IsolationWorld : IAsyncDisposable
{
    private IsolationWorld(IApiHost host, string run)
    {
        Host = host;
        Http = host.CreateClient();
        Run = run;
    }

    public IApiHost Host { get; }
    public HttpClient Http { get; }
    public string Run { get; }

    public string ClientA => $"iso{Run}-a";
    public string ClientB => $"iso{Run}-b";
    public string NumberA { get; private init; } = "";
    public string NumberB { get; private init; } = "";
    public string FreeNumber { get; private init; } = "";

    /// <summary>Caller numbers of A's calls and messages (E.164), and of the unmatched call.</summary>
    public string[] CallersA { get; private init; } = [];
    public string CallerUnmatched { get; private init; } = "";

    public string NameA => $"Cabinet A secret {Run}";
    public string TextA => $"A-secret-text-{Run}";
    public string CallerNameA => $"A-secret-caller-{Run}";
    public string EmailA => $"a-secret-{Run}@clinic-a.example";
    public string IdempotencyKeyA => $"iso-{Run}-idem-a";

    public string PbxCallA => $"iso{Run}-pbx-a";
    public string PbxCallB => $"iso{Run}-pbx-b";
    public string UnmatchedCall => $"iso{Run}-pbx-unmatched";
    public string TwilioSidA => $"CA{Run}a0000000000000000000000000";
    public long AircallIdA { get; private init; }
    public string MessageIdA { get; private set; } = "";
    public string MessageIdB { get; private set; } = "";

    public string OperatorB => $"iso-operator-b-{Run}-000000";
    public string AdminB => $"iso-admin-b-{Run}-0000000000";
    public string AuditorB => $"iso-auditor-b-{Run}-00000000";

    public IReadOnlyDictionary<string, string> KeysOfB => new Dictionary<string, string>
    {
        ["operator"] = OperatorB,
        ["admin"] = AdminB,
        ["auditor"] = AuditorB,
    };

    public Task<StorageSnapshot> SnapshotAsync() => StorageSnapshot.TakeAsync(TestEnvironment.StorageConnectionString,
        Host.Services.GetRequiredService<ObservedRoutingQueue>().Sent.Count);

    /// <summary>Everything of A (and of the unmatched call) that a B key must never be shown.</summary>
    public IEnumerable<string> MarkersOfA()
    {
        yield return ClientA;
        yield return NameA;
        yield return TextA;
        yield return CallerNameA;
        yield return EmailA;
        yield return NumberA;
        foreach (var caller in CallersA.Append(CallerUnmatched))
        {
            var national = "0" + caller[3..];
            yield return caller;
            yield return national;
            yield return string.Join(' ', Enumerable.Range(0, 5).Select(i => national.Substring(i * 2, 2)));
        }
    }

    public static async Task<IsolationWorld> CreateAsync(IApiHostFactory factory)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var settings = TestKeys.Settings(TestEnvironment.StorageConnectionString);
        var digits = Random.Shared.Next(1_000, 9_000);
        var probe = new { OperatorB = $"iso-operator-b-{run}-000000", AdminB = $"iso-admin-b-{run}-0000000000", AuditorB = $"iso-auditor-b-{run}-00000000" };
        var clientB = $"iso{run}-b";
        AddKey(settings, 5, probe.OperatorB, "operator", clientB);
        AddKey(settings, 6, probe.AdminB, "admin", clientB);
        AddKey(settings, 7, probe.AuditorB, "auditor", clientB);
        var world = new IsolationWorld(factory.Create(settings), run)
        {
            NumberA = $"+33188{digits:D4}01",
            NumberB = $"+33188{digits:D4}02",
            FreeNumber = $"+33188{digits:D4}03",
            CallersA = Enumerable.Range(1, 5).Select(k => $"+33671{digits:D4}{k:D2}").ToArray(),
            CallerUnmatched = $"+33671{digits:D4}99",
            AircallIdA = 5_000_000_000L + digits * 100L,
        };
        await world.SeedAsync();
        return world;
    }

    private static void AddKey(Dictionary<string, string?> settings, int index, string key, string role, string client)
    {
        settings[$"Permanence:ApiKeys:{index}:Key"] = key;
        settings[$"Permanence:ApiKeys:{index}:Role"] = role;
        settings[$"Permanence:ApiKeys:{index}:Clients:0"] = client;
    }

    public JsonObject Configuration(string name, string number, string email)
    {
        var document = Api.Althea(number);
        document["name"] = name;
        document["contacts"]![0]!["email"] = email;
        return document;
    }

    public JsonObject CallRecord(string callId, string to, string from, string? clientId = null, string provider = "pbx", string agentId = "op-12")
    {
        var record = new JsonObject
        {
            ["provider"] = provider,
            ["callId"] = callId,
            ["direction"] = "inbound",
            ["from"] = from,
            ["to"] = to,
            ["startedAt"] = "2026-10-05T17:31:10Z",
            ["answeredAt"] = "2026-10-05T17:31:22Z",
            ["endedAt"] = "2026-10-05T17:35:00Z",
            ["outcome"] = "answered",
            ["agentId"] = agentId,
        };
        if (clientId is not null)
        {
            record["clientId"] = clientId;
        }
        return record;
    }

    public JsonObject Message(string clientId, string text, string callerName, string phone, string? callId = null) => new()
    {
        ["clientId"] = clientId,
        // A message's call must be a call of the same client.
        ["callId"] = callId ?? $"aircall:{AircallIdA}",
        ["scenario"] = "urgence",
        ["caller"] = new JsonObject { ["name"] = callerName, ["phone"] = phone, ["email"] = null },
        ["fields"] = new JsonObject { ["symptoms"] = text },
        ["text"] = text,
        ["operatorId"] = "op-12",
        ["takenAt"] = "2026-10-05T19:42:10Z",
    };

    public JsonObject AircallEvent(long id, string line, string caller) => new()
    {
        ["resource"] = "call",
        ["event"] = "call.created",
        ["timestamp"] = 1791183000,
        ["token"] = TestKeys.AircallToken,
        ["data"] = new JsonObject
        {
            ["id"] = id,
            ["direction"] = "inbound",
            ["status"] = "initial",
            ["started_at"] = 1791183000,
            ["raw_digits"] = caller,
            ["number"] = new JsonObject { ["digits"] = line },
        },
    };

    public Dictionary<string, string> TwilioForm(string sid, string to, string from) => new()
    {
        ["AccountSid"] = "AC00000000000000000000000000000000",
        ["CallSid"] = sid,
        ["CallStatus"] = "ringing",
        ["Direction"] = "inbound",
        ["From"] = from,
        ["To"] = to,
        ["Timestamp"] = "Mon, 05 Oct 2026 07:31:10 +0000",
    };

    public HttpRequestMessage TwilioRequest(Dictionary<string, string> form, bool signed)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telephony/twilio") { Content = new FormUrlEncodedContent(form) };
        if (signed)
        {
            request.Headers.Add("X-Twilio-Signature", FuzzRenderer.Sign(TestKeys.PublicBaseUrl + "/api/telephony/twilio", form.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[p.Value]), TestKeys.TwilioAuthToken));
        }
        return request;
    }

    public static HttpRequestMessage Json(HttpMethod method, string path, string? key, JsonNode? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        return request;
    }

    private async Task SeedAsync()
    {
        await Expect([HttpStatusCode.Created], Json(HttpMethod.Put, $"/api/clients/{ClientA}", TestKeys.Admin, Configuration(NameA, NumberA, EmailA)));
        await Expect([HttpStatusCode.Created], Json(HttpMethod.Put, $"/api/clients/{ClientB}", TestKeys.Admin, Configuration($"Cabinet B {Run}", NumberB, $"b-{Run}@clinic-b.example")));

        await Expect([HttpStatusCode.OK], Json(HttpMethod.Post, "/api/calls", TestKeys.Operator, CallRecord(PbxCallA, NumberA, CallersA[0])));
        for (var k = 0; k < 3; k++)
        {
            await Expect([HttpStatusCode.OK], new HttpRequestMessage(HttpMethod.Post, "/api/telephony/aircall")
            {
                Content = new StringContent(AircallEvent(AircallIdA + k, NumberA, CallersA[1]).ToJsonString(), Encoding.UTF8, "application/json"),
            });
        }
        await Expect([HttpStatusCode.OK], TwilioRequest(TwilioForm(TwilioSidA, NumberA, CallersA[2]), signed: true));
        var message = Json(HttpMethod.Post, "/api/messages", TestKeys.Operator, Message(ClientA, TextA, CallerNameA, CallersA[3]));
        message.Headers.Add("Idempotency-Key", IdempotencyKeyA);
        MessageIdA = (string)(await Expect([HttpStatusCode.Accepted], message))["id"]!;
        await Expect([HttpStatusCode.Accepted], Json(HttpMethod.Post, "/api/calls", TestKeys.Operator, CallRecord(UnmatchedCall, FreeNumber, CallerUnmatched)));

        await Expect([HttpStatusCode.OK], Json(HttpMethod.Post, "/api/calls", TestKeys.Operator, CallRecord(PbxCallB, NumberB, "+33699000000")));
        MessageIdB = (string)(await Expect([HttpStatusCode.Accepted], Json(HttpMethod.Post, "/api/messages", TestKeys.Operator, Message(ClientB, "texte de B", "Appelant B", "06 99 00 00 00", $"pbx:{PbxCallB}"))))["id"]!;
    }

    private async Task<JsonObject> Expect(HttpStatusCode[] statuses, HttpRequestMessage request)
    {
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(statuses.Contains(response.StatusCode), $"seeding {request.Method} {request.RequestUri}: {(int)response.StatusCode} {text}");
        return text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonNode.Parse(text)!.AsObject() : [];
    }

    public ValueTask DisposeAsync()
    {
        Http.Dispose();
        return Host.DisposeAsync();
    }
}
