using System.Collections.Concurrent;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Routing;

namespace Permanence.Integration.Tests.Hosts;

/// <summary>Wraps the host's real routing queue: records what was enqueued and can fail on demand.</summary>
public sealed class ObservedRoutingQueue(IRoutingQueue inner) : IRoutingQueue
{
    private readonly ConcurrentQueue<RoutingCommand> _sent = new();
    private int _failuresLeft;

    public IReadOnlyCollection<RoutingCommand> Sent => _sent;

    public void FailNext(int count = 1) => Interlocked.Exchange(ref _failuresLeft, count);

    public async Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("Simulated enqueue failure (the process stopped between write and enqueue).");
        }
        await inner.EnqueueAsync(command, delay, cancellationToken);
        _sent.Enqueue(command);
    }
}

/// <summary>A ServiceBusSender that records messages instead of talking to a namespace (there is no emulator here).</summary>
public sealed class RecordingServiceBusSender : ServiceBusSender
{
    private readonly ConcurrentQueue<ServiceBusMessage> _messages = new();

    public IReadOnlyCollection<ServiceBusMessage> Messages => _messages;

    public override string EntityPath => "routing";

    public override Task SendMessageAsync(ServiceBusMessage message, CancellationToken cancellationToken = default)
    {
        _messages.Enqueue(message);
        return Task.CompletedTask;
    }
}

public static class TestInfrastructure
{
    /// <summary>Swaps only what tests must control: the clock, and an observer around the routing queue.</summary>
    public static void Apply(IServiceCollection services)
    {
        services.RemoveAll<TimeProvider>();
        services.AddSingleton(new FakeTimeProvider(DateTimeOffset.UtcNow));
        services.AddSingleton<TimeProvider>(sp => sp.GetRequiredService<FakeTimeProvider>());

        var queue = services.Last(d => d.ServiceType == typeof(IRoutingQueue));
        services.Remove(queue);
        services.AddSingleton(sp => new ObservedRoutingQueue(queue.ImplementationFactory is { } factory
            ? (IRoutingQueue)factory(sp)
            : (IRoutingQueue)ActivatorUtilities.CreateInstance(sp, queue.ImplementationType!)));
        services.AddSingleton<IRoutingQueue>(sp => sp.GetRequiredService<ObservedRoutingQueue>());
    }
}
