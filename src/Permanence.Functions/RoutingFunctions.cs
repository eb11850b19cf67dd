using Azure.Messaging.ServiceBus;
using Microsoft.Azure.Functions.Worker;

namespace Permanence.Functions;

public class RoutingFunctions
{
    [Function(nameof(Route))]
    public Task Route([ServiceBusTrigger("routing", Connection = "ServiceBus")] ServiceBusReceivedMessage message) => Task.CompletedTask;
}
