using Azure.Storage.Queues.Models;
using Azure.Storage.Queues.Specialized;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Routing;

namespace Permanence.Standalone.Workers;

/// <summary>
/// Standalone stand-in for the Service Bus trigger: consumes Storage queue "routing", up to 16 messages at a
/// time. A message is deleted only after its handler succeeded; one that keeps failing goes to "routing-poison"
/// after 10 attempts, as Service Bus dead-letters after 10 deliveries.
/// </summary>
public sealed class RoutingQueueWorker(StorageRoutingQueue routingQueue, RoutingDispatcher dispatcher, TimeProvider time, IConfiguration configuration, ILogger<RoutingQueueWorker> logger)
    : BackgroundService
{
    private const int MaxDequeueCount = 10;
    private const int BatchSize = 32;
    private const int Concurrency = 16;

    // Idle polls back off from 25 ms to 1 s: a busy queue is read again at once, an idle one costs one request a second.
    private static readonly TimeSpan FirstIdleDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan MaxIdleDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Visibility = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.WorkersEnabled())
        {
            return;
        }
        var idle = FirstIdleDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] batch;
            Azure.Storage.Queues.QueueClient queue;
            try
            {
                // Inside the loop: storage being down at start must not stop the host (BackgroundService stops it on a throw).
                queue = await routingQueue.GetQueueAsync();
                batch = (await queue.ReceiveMessagesAsync(BatchSize, Visibility, stoppingToken)).Value;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Receiving from the routing queue failed; retrying");
                await Task.Delay(MaxIdleDelay * 5, time, stoppingToken);
                continue;
            }
            if (batch.Length == 0)
            {
                await Task.Delay(idle, time, stoppingToken);
                idle = idle * 2 > MaxIdleDelay ? MaxIdleDelay : idle * 2;
                continue;
            }
            idle = FirstIdleDelay;
            // Messages are independent (each one step of one message, idempotent): handled side by side.
            await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = stoppingToken },
                (message, cancellationToken) => new ValueTask(HandleAsync(queue, message, cancellationToken)));
        }
    }

    private async Task HandleAsync(Azure.Storage.Queues.QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await dispatcher.DispatchAsync(message.Body.ToString(), message.MessageId, cancellationToken);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Routing queue message {QueueMessageId} failed (attempt {DequeueCount})", message.MessageId, message.DequeueCount);
            if (message.DequeueCount >= MaxDequeueCount)
            {
                await MoveToPoisonAsync(queue, message, cancellationToken);
            }
        }
    }

    /// <summary>Never throws: a failure here leaves the message on the queue, where it becomes visible again.</summary>
    private async Task MoveToPoisonAsync(Azure.Storage.Queues.QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            var poison = queue.GetParentQueueServiceClient().GetQueueClient($"{queue.Name}-poison");
            await poison.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken);
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Moving routing queue message {QueueMessageId} to the poison queue failed; it will be retried", message.MessageId);
        }
    }
}
