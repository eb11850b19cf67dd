using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Standalone;

/// <summary>
/// Hosts with running background workers consume the Standalone account's routing queue and sweep its outbox,
/// which the other Standalone tests use too: these tests run alone, after every parallel test.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class StandaloneWorkersCollection
{
    public const string Name = "Standalone background workers";
}

/// <summary>
/// README "Messages": in Standalone a background service consumes Storage queue "routing" and another sweeps
/// the routing outbox every minute. Each test starts Standalone with Permanence:Standalone:BackgroundWorkers=true.
/// Real time passes here (a queue on Azurite), so waits are bounded polls; the workers' own delays run on the
/// host's FakeTimeProvider, which the polls advance.
/// </summary>
[Collection(StandaloneWorkersCollection.Name)]
public sealed class StandaloneWorkerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly StandaloneHost.Factory Factory = new();

    private static IApiHost StartWithWorkers()
    {
        var settings = TestKeys.Settings(Factory.StorageConnectionString);
        settings["Permanence:Standalone:BackgroundWorkers"] = "true";
        return Factory.Create(settings);
    }

    /// <summary>Polls until <paramref name="done"/> holds, advancing the host's clock by <paramref name="step"/> each round.</summary>
    private static async Task PollAsync(FakeTimeProvider clock, TimeSpan step, Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new Xunit.Sdk.XunitException($"Not within {Deadline.TotalSeconds} s: {what}.");
            }
            clock.Advance(step);
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task QueueWorker_ConsumesTheRoutingCommand_AndDeliversItsFirstStep()
    {
        await using var host = StartWithWorkers();
        var http = host.CreateClient();
        var clock = host.Services.GetRequiredService<FakeTimeProvider>();
        var handled = host.Services.GetRequiredService<ObservedRoutingHandler>();
        var (clientId, _) = await Seed.ClientAsync(http);

        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, StandaloneRoutingQueueTests.PersonalMessage(clientId)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        Assert.Single(host.Services.GetRequiredService<ObservedRoutingQueue>().Sent, c => c.MessageId == id); // it went onto the real queue

        // The worker's idle wait is one second of the host's clock: each round moves it on.
        await PollAsync(clock, TimeSpan.FromSeconds(1),
            () => Task.FromResult(handled.Handled.Any(c => c.MessageId == id)),
            $"the worker handles {id}");

        var command = Assert.Single(handled.Handled, c => c.MessageId == id);
        Assert.Equal(clientId, command.ClientId);
        Assert.Equal(0, command.Step);
        // The step ran (email and SMS to the outbox), and its next step waits on the queue, invisible until due.
        var read = await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync();
        Assert.NotEmpty(read["deliveries"]!.AsArray());
        Assert.All(read["deliveries"]!.AsArray(), d => Assert.Contains((string?)d!["status"], new[] { "sent", "skipped" }));
        Assert.Contains(host.Services.GetRequiredService<ObservedRoutingQueue>().Sent, c => c.MessageId == id && c.Step == 1);
    }

    [Fact]
    public async Task Sweeper_EnqueuesAStrandedMarkerOnceItsGraceHasPassed()
    {
        await using var host = StartWithWorkers();
        var http = host.CreateClient();
        var clock = host.Services.GetRequiredService<FakeTimeProvider>();
        var queue = host.Services.GetRequiredService<ObservedRoutingQueue>();
        var handled = host.Services.GetRequiredService<ObservedRoutingHandler>();
        var (clientId, _) = await Seed.ClientAsync(http);

        // The process "stops" between the write and the enqueue: the message is stored, its marker stays.
        queue.FailNext(when: c => c.ClientId == clientId);
        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, StandaloneRoutingQueueTests.PersonalMessage(clientId)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (string)(await response.JsonAsync())["id"]!;
        Assert.DoesNotContain(queue.Sent, c => c.MessageId == id);
        Assert.Equal("pending", (string?)(await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync())["routing"]);

        // Half a minute of the host's clock a round: past the one-minute grace, the sweeper's one-minute timer fires.
        await PollAsync(clock, TimeSpan.FromSeconds(30),
            () => Task.FromResult(queue.Sent.Any(c => c.MessageId == id)),
            $"the sweeper enqueues {id}");

        Assert.Single(queue.Sent, c => c.MessageId == id && c.Step == 0); // one step-0 command; routing may already have queued later steps
        var read = await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync();
        Assert.Equal("enqueued", (string?)read["routing"]);
        // And the command it enqueued is consumed by the queue worker like any other.
        await PollAsync(clock, TimeSpan.FromSeconds(1),
            () => Task.FromResult(handled.Handled.Any(c => c.MessageId == id)),
            $"the worker handles the swept command of {id}");
    }
}
