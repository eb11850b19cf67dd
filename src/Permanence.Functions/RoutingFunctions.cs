using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Permanence.Core.Messages;
using Permanence.Core.Routing;

namespace Permanence.Functions;

public class RoutingFunctions(RoutingDispatcher dispatcher, MessageService messages, ILogger<RoutingFunctions> logger)
{
    /// <summary>Routing commands from Service Bus queue "routing" (connection "ServiceBus", identity-based in Azure).</summary>
    [Function(nameof(Route))]
    public Task Route([ServiceBusTrigger("routing", Connection = "ServiceBus")] ServiceBusReceivedMessage message, CancellationToken cancellationToken) =>
        dispatcher.DispatchAsync(message.Body.ToString(), message.MessageId, cancellationToken);

    /// <summary>Every minute: enqueue the routing of messages whose command never reached the queue.</summary>
    [Function(nameof(SweepRoutingOutbox))]
    public async Task SweepRoutingOutbox([TimerTrigger("0 * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            logger.LogInformation("Routing outbox sweep is running late");
        }
        var enqueued = await messages.SweepAsync(cancellationToken);
        if (enqueued > 0)
        {
            logger.LogInformation("Routing outbox sweep enqueued {Count} messages", enqueued);
        }
    }
}
