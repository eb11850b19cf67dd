using System.Text.Json.Nodes;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Functions;
using Permanence.Infrastructure.Routing;
using Permanence.Integration.Tests.Contract;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Functions;

/// <summary>The Service Bus side of the Functions host, tested at the SDK boundary (there is no emulator here).</summary>
public sealed class ServiceBusAdapterTests(HostFixture<FunctionsHost.Factory> fixture) : IClassFixture<HostFixture<FunctionsHost.Factory>>
{
    private FunctionsHost Host => (FunctionsHost)fixture.Host;

    [Fact]
    public async Task EnqueueAsync_Command_SendsIdsOnlyWithDeduplicationIdAndSchedule()
    {
        var sender = new RecordingServiceBusSender();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 10, 5, 19, 42, 0, TimeSpan.Zero));
        var queue = new ServiceBusRoutingQueue(sender, clock);
        var command = new RoutingCommand(RoutingCommand.Route, "althea", "msg-123", Step: 1, Attempt: 2);

        await queue.EnqueueAsync(command, TimeSpan.FromMinutes(10), CancellationToken.None);

        var message = Assert.Single(sender.Messages);
        // A scheduled command's id carries its time: the same command for another time is another message.
        Assert.Equal($"msg-123:route:1:2@{clock.GetUtcNow().AddMinutes(10).ToUnixTimeSeconds()}", message.MessageId);
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal(clock.GetUtcNow().AddMinutes(10), message.ScheduledEnqueueTime);
        var body = JsonNode.Parse(message.Body.ToString())!.AsObject();
        Assert.Equal(["kind", "clientId", "messageId", "step", "attempt"], body.Select(p => p.Key));
    }

    [Fact]
    public async Task PostMessage_ThroughTheFunctionsHost_SendsTheRoutingCommandToServiceBus()
    {
        var http = Host.CreateClient();
        var (clientId, _) = await Seed.ClientAsync(http);
        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
        {
            ["clientId"] = clientId,
            ["scenario"] = "rdv",
            ["caller"] = new JsonObject { ["name"] = "M. Petit", ["phone"] = "+33612345678" },
            ["text"] = "Appeler Mme Durand au 06 12 34 56 78",
            ["takenAt"] = "2026-10-05T09:00:00Z",
        }));
        var id = (string)(await response.JsonAsync())["id"]!;

        var sent = Assert.Single(Host.ServiceBusSender.Messages, m => m.MessageId.StartsWith(id, StringComparison.Ordinal));
        var text = sent.Body.ToString();
        Assert.DoesNotContain("Durand", text, StringComparison.Ordinal); // claim check: no personal data on the queue
        Assert.DoesNotContain("612345678", text, StringComparison.Ordinal);
        Assert.Equal(id, RoutingCommand.FromJson(text)!.MessageId);
    }

    [Fact]
    public async Task Route_ReceivedServiceBusMessage_IsHandledAndMalformedOnesAreDropped()
    {
        var handled = new List<RoutingCommand>();
        var functions = new RoutingFunctions(new RoutingDispatcher(new RecordingHandler(handled), NullLogger<RoutingDispatcher>.Instance), fixture.Host.Services.GetRequiredService<MessageService>(), NullLogger<RoutingFunctions>.Instance);
        var command = new RoutingCommand(RoutingCommand.Route, "althea", "msg-42", 0, 0);

        await functions.Route(ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString(command.ToJson()), messageId: command.DeduplicationId), CancellationToken.None);
        await functions.Route(ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString("not json"), messageId: "x"), CancellationToken.None);

        Assert.Equal([command], handled);
    }

    [Fact]
    public async Task Route_CriticalMessage_DeliversStep0_AndSchedulesStep1OnServiceBus_WithIdsOnly()
    {
        await using var host = new FunctionsHost(TestKeys.Settings(TestEnvironment.FunctionsStorageConnectionString));
        var clock = host.Services.GetRequiredService<FakeTimeProvider>();
        clock.SetUtcNow(Routing.RoutingWorld.TuesdayEveningParis.AddDays(70)); // a Tuesday, 20:00 in Paris
        var http = host.CreateClient();
        var (clientId, _) = await Seed.ClientAsync(http);
        var response = await http.SendAsync(Api.Request(HttpMethod.Post, "/api/messages", TestKeys.Operator, new JsonObject
        {
            ["clientId"] = clientId,
            ["scenario"] = "urgence",
            ["caller"] = new JsonObject { ["name"] = "Mme Durand", ["phone"] = "06 12 34 56 78" },
            ["fields"] = new JsonObject { ["symptoms"] = "douleur thoracique" },
            ["takenAt"] = clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
        }));
        var id = (string)(await response.JsonAsync())["id"]!;
        var functions = ActivatorUtilities.CreateInstance<RoutingFunctions>(host.Services);

        // The trigger receives what the publisher sent, as Service Bus would deliver it.
        var first = Assert.Single(host.ServiceBusSender.Messages, m => m.MessageId == $"{id}:route:0:0");
        await functions.Route(Received(first), CancellationToken.None);

        var due = clock.GetUtcNow().AddMinutes(10);
        var scheduled = Assert.Single(host.ServiceBusSender.Messages, m => m.MessageId.StartsWith($"{id}:route:1:", StringComparison.Ordinal));
        Assert.Equal($"{id}:route:1:0@{due.ToUnixTimeSeconds()}", scheduled.MessageId);
        Assert.Equal(due, scheduled.ScheduledEnqueueTime);
        var body = scheduled.Body.ToString();
        Assert.Equal(new RoutingCommand(RoutingCommand.Route, clientId, id, 1, 0), RoutingCommand.FromJson(body));
        foreach (var personal in new[] { "Durand", "612345678", "douleur", "martin", "althea.example" })
        {
            Assert.DoesNotContain(personal, body, StringComparison.OrdinalIgnoreCase);
        }
        var deliveries = (await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync())["deliveries"]!.AsArray();
        Assert.Equal(["dr-martin/email/sent", "dr-martin/sms/sent"],
            deliveries.Select(d => $"{d!["contact"]}/{d["channel"]}/{d["status"]}").Order(StringComparer.Ordinal));

        // Redelivered (a lost lock): nothing is sent again and nothing new is scheduled.
        await functions.Route(Received(first), CancellationToken.None);
        Assert.Single(host.ServiceBusSender.Messages, m => m.MessageId.StartsWith($"{id}:route:1:", StringComparison.Ordinal));
        Assert.Equal(2, (await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync())["deliveries"]!.AsArray().Count);

        // When the scheduled message arrives ten minutes later, step 1 runs.
        clock.Advance(TimeSpan.FromMinutes(10));
        await functions.Route(Received(scheduled), CancellationToken.None);
        deliveries = (await (await http.SendAsync(Api.Request(HttpMethod.Get, $"/api/messages/{id}", TestKeys.Operator))).JsonAsync())["deliveries"]!.AsArray();
        Assert.Equal(["dr-martin/sms/sent", "dr-roux/sms/sent"],
            deliveries.Where(d => (int)d!["step"]! == 1).Select(d => $"{d!["contact"]}/{d["channel"]}/{d["status"]}").Order(StringComparer.Ordinal));
    }

    private static ServiceBusReceivedMessage Received(ServiceBusMessage sent) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(sent.Body, messageId: sent.MessageId, contentType: sent.ContentType, deliveryCount: 1);

    private sealed class RecordingHandler(List<RoutingCommand> handled) : IRoutingCommandHandler
    {
        public Task HandleAsync(RoutingCommand command, CancellationToken cancellationToken)
        {
            handled.Add(command);
            return Task.CompletedTask;
        }
    }
}
