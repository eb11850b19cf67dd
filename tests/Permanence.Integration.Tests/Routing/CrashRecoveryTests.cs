using System.Text.Json.Nodes;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Standalone;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// README, "Routing": a Standalone process killed (SIGKILL) between two steps of a critical escalation, then
/// started again on the same storage: the escalation goes on from the queue, nothing is sent twice, nothing lost.
/// </summary>
[Collection(StandaloneWorkersCollection.Name)]
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task KilledBetweenTwoSteps_TheRestarted_ProcessFinishesTheEscalation_SendingNothingTwice()
    {
        var settings = TestKeys.Settings(TestEnvironment.RoutingStorageConnectionString);
        settings["Permanence:Standalone:BackgroundWorkers"] = "true";
        // Named contacts rather than $onCall: the processes run on the real clock, whatever the time of day.
        var configuration = RoutingWorld.Althea(c =>
        {
            c["contacts"]!.AsArray().RemoveAt(3); // the CRM webhook
            c["escalation"]!["important"]!["steps"]![0]!["notify"] = new JsonArray("accueil");
            c["escalation"]!["important"]!["steps"]![0]!["channels"] = new JsonArray("email");
            c["escalation"]!["critical"] = new JsonObject
            {
                ["steps"] = new JsonArray(
                    new JsonObject { ["notify"] = new JsonArray("dr-martin"), ["channels"] = new JsonArray("sms", "email"), ["ackWithinMinutes"] = 0.1 },
                    new JsonObject { ["notify"] = new JsonArray("dr-roux"), ["channels"] = new JsonArray("sms"), ["ackWithinMinutes"] = 0.1 },
                    new JsonObject { ["notify"] = new JsonArray("accueil"), ["channels"] = new JsonArray("email") }),
            };
        });

        string id;
        var first = await StandaloneProcess.StartAsync(settings);
        try
        {
            using var http = first.CreateClient();
            var clientId = await EndToEndRoutingTests.PutAsync(http, configuration);
            id = await EndToEndRoutingTests.PostAsync(http, clientId, "urgence");
            var step0 = await EndToEndRoutingTests.UntilAsync(http, id,
                m => EndToEndRoutingTests.Deliveries(m).Count(d => d.StartsWith("0/", StringComparison.Ordinal) && d.EndsWith("/sent", StringComparison.Ordinal)) == 2,
                "step 0 sent by the first process");
            // Step 1 is due 6 s after step 0: the worker has long finished with step 0's command a second later.
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.DoesNotContain(EndToEndRoutingTests.Deliveries(step0), d => !d.StartsWith("0/", StringComparison.Ordinal));
        }
        finally
        {
            await first.KillAsync();
        }

        await using var second = await StandaloneProcess.StartAsync(settings);
        using var client = second.CreateClient();
        var done = await EndToEndRoutingTests.UntilAsync(client, id,
            m => EndToEndRoutingTests.Deliveries(m).Contains("2/accueil/email/sent"),
            "the restarted process finishes the escalation");

        Assert.Equal(["0/dr-martin/email/sent", "0/dr-martin/sms/sent", "1/dr-roux/sms/sent", "2/accueil/email/sent"], EndToEndRoutingTests.Deliveries(done));
        Assert.All(done["deliveries"]!.AsArray(), d => Assert.Equal(0, (int)d!["attempt"]!)); // one attempt each: nothing sent twice
        Assert.Equal(["ran", "ran", "ran"], done["escalation"]!.AsArray().Select(s => (string)s!["status"]!));
    }
}
