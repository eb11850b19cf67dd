using Microsoft.Extensions.Logging;

namespace Permanence.Core.Routing;

/// <summary>
/// What both hosts do with a routing-queue message body (Service Bus trigger, Standalone queue worker): decode it
/// and hand it to the handler. A body that is not a routing command is dropped and logged: retrying it could only
/// send it to the dead-letter queue.
/// </summary>
public sealed class RoutingDispatcher(IRoutingCommandHandler handler, ILogger<RoutingDispatcher> logger)
{
    public async Task DispatchAsync(string body, string transportMessageId, CancellationToken cancellationToken)
    {
        var command = RoutingCommand.FromJson(body);
        if (command is null)
        {
            logger.LogError("Routing queue message {TransportMessageId} is not a routing command; dropped", transportMessageId);
            return;
        }
        await handler.HandleAsync(command, cancellationToken);
    }
}
