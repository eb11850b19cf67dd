using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Permanence.Core.Routing;
using Permanence.Integration.Tests.Hosts;
using Permanence.Integration.Tests.Standalone;

namespace Permanence.Integration.Tests.Routing;

/// <summary>
/// README, "Routing": the Standalone worker moves a routing message that keeps failing to "routing-poison" on its
/// tenth dequeue, as Service Bus dead-letters after ten deliveries; the others keep flowing.
/// </summary>
[Collection(StandaloneWorkersCollection.Name)]
public sealed class PoisonQueueTests
{
    [Fact]
    public async Task MessageFailingOnItsTenthDequeue_GoesToThePoisonQueue_AndLeavesTheQueue()
    {
        var storage = TestEnvironment.RoutingStorageConnectionString;
        var queues = new QueueServiceClient(storage, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var routing = queues.GetQueueClient("routing");
        var poison = queues.GetQueueClient("routing-poison");
        await routing.CreateIfNotExistsAsync();
        var command = new RoutingCommand(RoutingCommand.Route, "poison-client", $"msg-poison-{Guid.NewGuid():N}", 0, 0);
        await routing.SendMessageAsync(command.ToJson());

        // Nine failed deliveries happen here, with a one-second lock each, before the host's worker takes the tenth.
        for (var dequeued = 0; dequeued < 9;)
        {
            var received = await routing.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(1));
            dequeued += received.Value.Count(m => m.Body.ToString().Contains(command.MessageId, StringComparison.Ordinal));
            await Task.Delay(TimeSpan.FromMilliseconds(1100));
        }

        var settings = TestKeys.Settings(storage);
        settings["Permanence:Standalone:BackgroundWorkers"] = "true";
        await using var host = new StandaloneHost(settings, services =>
        {
            services.RemoveAll<TimeProvider>();
            services.AddSingleton(TimeProvider.System);
            var inner = services.Last(d => d.ServiceType == typeof(IRoutingCommandHandler));
            services.Remove(inner);
            services.AddSingleton<IRoutingCommandHandler>(sp => new FailingFor(command.MessageId, (IRoutingCommandHandler)inner.ImplementationFactory!(sp)));
        });
        _ = host.CreateClient(); // starts the host and its workers

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (await poison.ExistsAsync())
            {
                var parked = await poison.PeekMessagesAsync(32);
                if (parked.Value.Any(m => m.Body.ToString().Contains(command.MessageId, StringComparison.Ordinal)))
                {
                    break;
                }
            }
            Assert.True(DateTime.UtcNow < deadline, "The failing message did not reach routing-poison within 60 s.");
            await Task.Delay(250);
        }
        // Gone from the routing queue: waiting past its lock shows no copy left.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var left = await routing.PeekMessagesAsync(32);
        Assert.DoesNotContain(left.Value, m => m.Body.ToString().Contains(command.MessageId, StringComparison.Ordinal));
    }

    private sealed class FailingFor(string messageId, IRoutingCommandHandler inner) : IRoutingCommandHandler
    {
        public Task HandleAsync(RoutingCommand command, CancellationToken cancellationToken) =>
            command.MessageId == messageId
                ? throw new InvalidOperationException("Simulated handler failure.")
                : inner.HandleAsync(command, cancellationToken);
    }
}
