using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Standalone;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// Routing end to end in Standalone (README, "Routing"): the real Storage queue on Azurite with its visibility
/// delays, the real queue worker, email and SMS into the outbox container. Real seconds pass (ackWithinMinutes
/// 0.05 = 3 s), so waits are bounded polls; the date comes from a <see cref="ShiftedTimeProvider"/>.
/// These hosts consume their account's queue with running workers: they run alone, like the other worker tests.
/// </summary>
[Collection(StandaloneWorkersCollection.Name)]
public sealed partial class EndToEndRoutingTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    /// <summary>The sample, its critical steps asking for an acknowledgement within 3 seconds.</summary>
    private static JsonObject FastAlthea(Action<JsonObject>? change = null) => RoutingWorld.Althea(c =>
    {
        foreach (var step in c["escalation"]!["critical"]!["steps"]!.AsArray().Take(2))
        {
            step!["ackWithinMinutes"] = 0.05;
        }
        c["contacts"]!.AsArray().RemoveAt(3); // the CRM webhook: not part of these tests
        foreach (var policy in new[] { "standard", "important" })
        {
            foreach (var step in c["escalation"]![policy]!["steps"]!.AsArray())
            {
                step!["notify"] = new JsonArray("accueil");
                step["channels"] = new JsonArray("email");
            }
        }
        change?.Invoke(c);
    });

    private static StandaloneHost Start(DateTimeOffset now)
    {
        var settings = TestKeys.Settings(TestEnvironment.RoutingStorageConnectionString);
        settings["Permanence:Standalone:BackgroundWorkers"] = "true";
        return new StandaloneHost(settings, services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton<TimeProvider>(new ShiftedTimeProvider(now));
        });
    }

    [Fact]
    public async Task CriticalAtTuesday2000_OnCallBySmsAndEmail_GetDoesNotStop_PostStopsTheRest()
    {
        await using var host = Start(RoutingWorld.TuesdayEveningParis.AddDays(77));
        var http = host.CreateClient();
        var clientId = await PutAsync(http, FastAlthea());
        var id = await PostAsync(http, clientId, "urgence");

        var step0 = await UntilAsync(http, id, m => Deliveries(m).Count(d => d.StartsWith("0/", StringComparison.Ordinal) && d.EndsWith("/sent", StringComparison.Ordinal)) == 2, "step 0 delivered");
        Assert.Equal(["0/dr-martin/email/sent", "0/dr-martin/sms/sent"], Deliveries(step0));
        var link = AckLink().Match(await OutboxAsync(host, clientId, id, "0.dr-martin.email.eml")).Value;
        var path = new Uri(link).AbsolutePath;

        // A link preview fetches the page: the escalation goes on, step 1 follows about 3 s after step 0.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(path)).StatusCode);
        var step1 = await UntilAsync(http, id, m => Deliveries(m).Count(d => d.StartsWith("1/", StringComparison.Ordinal) && d.EndsWith("/sent", StringComparison.Ordinal)) == 2, "step 1 delivered");
        Assert.Equal(["1/dr-martin/sms/sent", "1/dr-roux/sms/sent"], Deliveries(step1).Where(d => d.StartsWith("1/", StringComparison.Ordinal)));
        var started = step1["escalation"]!.AsArray().Select(s => DateTimeOffset.Parse((string)s!["startedAt"]!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(started[1] - started[0] >= TimeSpan.FromSeconds(3), $"step 1 ran {started[1] - started[0]} after step 0");

        // The button: step 2 is cancelled when its time comes.
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(path, null)).StatusCode);
        var done = await UntilAsync(http, id, m => m["escalation"]!.AsArray().Count == 3, "step 2 reached");
        Assert.Equal("cancelled", (string?)done["escalation"]![2]!["status"]);
        Assert.DoesNotContain(Deliveries(done), d => d.StartsWith("2/", StringComparison.Ordinal));
        Assert.Equal("link", (string?)Assert.Single(done["acknowledgements"]!.AsArray())!["channel"]);
    }

    [Fact]
    public async Task CriticalMessage_SmsReplyCode_StopsTheEscalation()
    {
        await using var host = Start(RoutingWorld.TuesdayEveningParis.AddDays(84));
        var http = host.CreateClient();
        var clientId = await PutAsync(http, FastAlthea(c => c["escalation"]!["critical"]!["steps"]![0]!["ackWithinMinutes"] = 0.25));
        var id = await PostAsync(http, clientId, "urgence");
        await UntilAsync(http, id, m => Deliveries(m).Contains("0/dr-martin/sms/sent"), "step 0 SMS sent");
        var code = Regex.Match(await OutboxAsync(host, clientId, id, "0.dr-martin.sms.txt"), "répondre ([0-9]{4})").Groups[1].Value;

        var form = new Dictionary<string, string> { ["From"] = "+33612345678", ["To"] = "+33757000000", ["Body"] = $"OK {code}", ["MessageSid"] = "SM1" };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/telephony/twilio/sms") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Twilio-Signature", Seed.TwilioSignature($"{TestKeys.PublicBaseUrl}/api/telephony/twilio/sms", form));
        var reply = await http.SendAsync(request);
        Assert.Contains("<Message>", await reply.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var done = await UntilAsync(http, id, m => m["escalation"]!.AsArray().Count == 2, "step 1 reached");
        Assert.Equal("cancelled", (string?)done["escalation"]![1]!["status"]);
        Assert.Equal("sms", (string?)Assert.Single(done["acknowledgements"]!.AsArray())!["channel"]);
        Assert.DoesNotContain(Deliveries(done), d => !d.StartsWith("0/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Override_PutsAnotherContactOnCall_AndAStandardMessageIsExactlyOneEmail()
    {
        var now = RoutingWorld.TuesdayEveningParis.AddDays(91); // Tuesday 2 March 2027, 20:00 in Paris
        await using var host = Start(now);
        var http = host.CreateClient();
        var clientId = await PutAsync(http, FastAlthea(c => c["onCallOverrides"] = new JsonArray(
            new JsonObject { ["contact"] = "dr-roux", ["from"] = "2027-03-02T18:00", ["to"] = "2027-03-03T08:30" })));
        var critical = await PostAsync(http, clientId, "urgence");
        var standard = await PostAsync(http, clientId, "rdv");

        var routed = await UntilAsync(http, critical, m => Deliveries(m).Contains("0/dr-roux/sms/sent"), "step 0 of the critical message");
        Assert.Equal(["0/dr-roux/email/skipped", "0/dr-roux/sms/sent"], Deliveries(routed).Where(d => d.StartsWith("0/", StringComparison.Ordinal)));
        var email = await UntilAsync(http, standard, m => Deliveries(m).Contains("0/accueil/email/sent"), "the standard message's email");
        Assert.Equal(["0/accueil/email/sent"], Deliveries(email));
        Assert.Equal(["0.accueil.email.eml"], await OutboxNamesAsync(host, clientId, standard));
    }

    internal static async Task<string> PutAsync(HttpClient http, JsonObject configuration)
    {
        var clientId = TestEnvironment.NewClientId();
        var response = await http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, configuration));
        Assert.True(response.StatusCode is HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return clientId;
    }

    internal static async Task<string> PostAsync(HttpClient http, string clientId, string scenario)
    {
        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
        {
            ["clientId"] = clientId,
            ["scenario"] = scenario,
            ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "06 12 34 56 78" },
            ["fields"] = scenario == "urgence" ? new JsonObject { ["symptoms"] = "douleur thoracique" } : new JsonObject { ["preferredDate"] = "mardi" },
            ["text"] = "Rappeler au plus vite",
            ["takenAt"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        }));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (string)(await response.JsonAsync())["id"]!;
    }

    internal static List<string> Deliveries(JsonObject message) =>
        message["deliveries"]!.AsArray().Select(d => $"{d!["step"]}/{d["contact"]}/{d["channel"]}/{d["status"]}").Order(StringComparer.Ordinal).ToList();

    /// <summary>Polls GET /messages/{id} until <paramref name="done"/> holds (bounded: real seconds pass here).</summary>
    internal static async Task<JsonObject> UntilAsync(HttpClient http, string id, Func<JsonObject, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            var message = await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync();
            if (done(message))
            {
                return message;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Not within {Deadline.TotalSeconds} s: {what}. Last: {message}");
            }
            await Task.Delay(200);
        }
    }

    private static async Task<string> OutboxAsync(IApiHost host, string clientId, string messageId, string name) =>
        (await host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("outbox")
            .GetBlobClient($"{clientId}/{messageId}/{name}").DownloadContentAsync()).Value.Content.ToString();

    private static async Task<List<string>> OutboxNamesAsync(IApiHost host, string clientId, string messageId)
    {
        var names = new List<string>();
        var prefix = $"{clientId}/{messageId}/";
        await foreach (var blob in host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("outbox")
            .GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, CancellationToken.None))
        {
            names.Add(blob.Name[prefix.Length..]);
        }
        return names;
    }

    [GeneratedRegex(@"https://permanence\.example/api/acks/[A-Za-z0-9._:~-]+")]
    private static partial Regex AckLink();
}
