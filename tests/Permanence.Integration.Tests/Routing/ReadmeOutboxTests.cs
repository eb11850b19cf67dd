using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Permanence.Cli;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Standalone;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// README, "Run the system": its example requests against a Standalone host with running workers and no
/// SendGrid or Twilio account, then `permanence outbox` (what scripts/outbox.sh runs) lists an email and an SMS.
/// </summary>
[Collection(StandaloneWorkersCollection.Name)]
public sealed class ReadmeOutboxTests
{
    [Fact]
    public async Task ReadmeExample_ThenTheOutboxCommand_ShowsTheEmailAndTheSms()
    {
        var settings = TestKeys.Settings(TestEnvironment.RoutingStorageConnectionString);
        settings["Permanence:Standalone:BackgroundWorkers"] = "true";
        await using var host = new StandaloneHost(settings, services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton(TimeProvider.System); // the workers wait on real time here
        });
        var http = host.CreateClient();
        var readme = DocsExamplesTests.Substitute(File.ReadAllText(Path.Combine(ApiDocument.RepositoryRoot, "README.md")), out var clientId, out var number);
        var seed = await http.SendAsync(Api.Request(HttpMethod.Put, $"/api/clients/{clientId}", TestKeys.Admin, Api.Althea(number)));
        Assert.Equal(HttpStatusCode.Created, seed.StatusCode);

        var (requests, expected) = DocsExamplesTests.Examples(readme).First();
        for (var i = 0; i < requests.Count; i++)
        {
            Assert.Equal(expected[i], (int)(await http.SendAsync(DocsExamplesTests.FromCurl(requests[i]))).StatusCode);
        }

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        string listing;
        while (true)
        {
            var output = new StringWriter();
            Assert.Equal(0, await CommandLine.RunAsync(["outbox", "--connection-string", TestEnvironment.RoutingStorageConnectionString], output, TextWriter.Null));
            listing = output.ToString();
            var mine = listing.Split('\n').Where(l => l.Contains($" {clientId}/", StringComparison.Ordinal)).ToList();
            if (mine.Any(l => l.TrimEnd().EndsWith(".email.eml", StringComparison.Ordinal)) && mine.Any(l => l.TrimEnd().EndsWith(".sms.txt", StringComparison.Ordinal)))
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"No email and SMS of {clientId} in the outbox within 90 s:\n{listing}");
            await Task.Delay(250);
        }

        var last = new StringWriter();
        Assert.Equal(0, await CommandLine.RunAsync(["outbox", "--last", "50", "--connection-string", TestEnvironment.RoutingStorageConnectionString], last, TextWriter.Null));
        Assert.Contains("Subject: [Standard] Prise de rendez-vous – M. Petit", last.ToString(), StringComparison.Ordinal);
        Assert.Contains("[URGENT] Urgence", last.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await CommandLine.RunAsync(["outbox", "--last", "zero"], TextWriter.Null, TextWriter.Null));
    }
}
