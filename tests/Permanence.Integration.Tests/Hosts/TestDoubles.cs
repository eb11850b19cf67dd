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
    private Func<RoutingCommand, bool> _failWhen = static _ => true;

    public IReadOnlyCollection<RoutingCommand> Sent => _sent;

    /// <summary>Fails the next <paramref name="count"/> enqueues (only those matching <paramref name="when"/>, if given).</summary>
    public void FailNext(int count = 1, Func<RoutingCommand, bool>? when = null)
    {
        _failWhen = when ?? (static _ => true);
        Interlocked.Exchange(ref _failuresLeft, count);
    }

    public async Task EnqueueAsync(RoutingCommand command, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (_failWhen(command) && Interlocked.Decrement(ref _failuresLeft) >= 0)
        {
            throw new InvalidOperationException("Simulated enqueue failure (the process stopped between write and enqueue).");
        }
        await inner.EnqueueAsync(command, delay, cancellationToken);
        _sent.Enqueue(command);
    }
}

/// <summary>Wraps the host's real routing-command handler: records each command a queue consumer handed to it.</summary>
public sealed class ObservedRoutingHandler(IRoutingCommandHandler inner) : IRoutingCommandHandler
{
    private readonly ConcurrentQueue<RoutingCommand> _handled = new();

    public IReadOnlyCollection<RoutingCommand> Handled => _handled;

    public async Task HandleAsync(RoutingCommand command, CancellationToken cancellationToken)
    {
        await inner.HandleAsync(command, cancellationToken);
        _handled.Enqueue(command);
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
    /// <summary>Swaps only what tests must control: the clock, and observers around the routing queue and its handler.</summary>
    public static void Apply(IServiceCollection services)
    {
        var handler = services.Last(d => d.ServiceType == typeof(IRoutingCommandHandler));
        services.Remove(handler);
        services.AddSingleton(sp => new ObservedRoutingHandler(Resolve<IRoutingCommandHandler>(sp, handler)));
        services.AddSingleton<IRoutingCommandHandler>(sp => sp.GetRequiredService<ObservedRoutingHandler>());

        services.RemoveAll<TimeProvider>();
        services.AddSingleton(new FakeTimeProvider(DateTimeOffset.UtcNow));
        services.AddSingleton<TimeProvider>(sp => sp.GetRequiredService<FakeTimeProvider>());

        var queue = services.Last(d => d.ServiceType == typeof(IRoutingQueue));
        services.Remove(queue);
        services.AddSingleton(sp => new ObservedRoutingQueue(Resolve<IRoutingQueue>(sp, queue)));
        services.AddSingleton<IRoutingQueue>(sp => sp.GetRequiredService<ObservedRoutingQueue>());
    }

    private static T Resolve<T>(IServiceProvider services, ServiceDescriptor descriptor) => descriptor switch
    {
        { ImplementationInstance: T instance } => instance,
        { ImplementationFactory: { } factory } => (T)factory(services),
        _ => (T)ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!),
    };
}
