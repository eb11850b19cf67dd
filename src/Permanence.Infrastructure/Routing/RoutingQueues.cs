using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Storage;

namespace Permanence.Infrastructure.Routing;

/// <summary>The routing queue on Azure Storage queues (Standalone): a delay is the message's initial invisibility.</summary>
public sealed class StorageRoutingQueue(QueueServiceClient queues) : IRoutingQueue
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromDays(7);

    private readonly CreatedOnce<QueueClient> _queue = new(async () =>
    {
        var queue = queues.GetQueueClient(StorageNames.RoutingQueue);
        await queue.CreateIfNotExistsAsync();
        return queue;
    });

    public Task<QueueClient> GetQueueAsync() => _queue.GetAsync();

    public async Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken)
    {
        var queue = await _queue.GetAsync();
        // Storage counts visibility in whole seconds and truncates: rounded up, so a step is never early.
        var seconds = Math.Ceiling(Math.Min(delay.TotalSeconds, MaxDelay.TotalSeconds));
        await queue.SendMessageAsync(
            command.ToJson(),
            visibilityTimeout: seconds > 0 ? TimeSpan.FromSeconds(seconds) : null,
            timeToLive: TimeSpan.FromSeconds(-1),
            cancellationToken: cancellationToken);
    }
}

/// <summary>
/// The routing queue on Service Bus (Azure): MessageId = the command's deduplication id, so the queue's
/// duplicate detection drops a command sent twice (sweeper and request racing); a delay is a scheduled message.
/// </summary>
public sealed class ServiceBusRoutingQueue(ServiceBusSender sender, TimeProvider time) : IRoutingQueue
{
    public async Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken)
    {
        var message = new ServiceBusMessage(BinaryData.FromString(command.ToJson()))
        {
            MessageId = command.DeduplicationId,
            ContentType = "application/json",
            Subject = command.Kind,
        };
        if (delay > TimeSpan.Zero)
        {
            // Whole seconds, and the time in the id: the same command scheduled for another time (a step put back
            // for the rest of its delay, a next step due now and also at its deadline) is another message, while
            // two consumers scheduling the same retry still collapse into one.
            var due = DateTimeOffset.FromUnixTimeSeconds((long)Math.Ceiling((time.GetUtcNow() + delay).ToUnixTimeMilliseconds() / 1000d));
            message.ScheduledEnqueueTime = due;
            message.MessageId = $"{command.DeduplicationId}@{due.ToUnixTimeSeconds()}";
        }
        await sender.SendMessageAsync(message, cancellationToken);
    }
}
