using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Permanence.Core.Offboarding;

namespace Permanence.Http;

/// <summary>
/// Prepares offboardings in the background, one client at a time (README, "Offboarding and retention"): the request
/// answers 202 at once. Every preparation and every confirmed deletion can be redone, so one that stopped with its
/// process is resumed at the next start, and when its status is read while nothing runs it.
/// </summary>
public sealed class OffboardingRunner(OffboardingService offboarding, IOffboardingStore offboardings, JobGate gate, ILogger<OffboardingRunner> logger) : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);

    public static string PreparationGate(string clientId) => $"offboard|{clientId}";

    /// <summary>Held by a confirmation (the route) or a resumed deletion (here): one deletion of a client at a time.</summary>
    public static string DeletionGate(string clientId) => $"offboard-confirm|{clientId}";

    /// <summary>Queues the client's preparation unless it is queued or running already.</summary>
    public void Start(string clientId)
    {
        if (_queued.TryAdd(clientId, 0))
        {
            _queue.Writer.TryWrite(clientId);
        }
    }

    /// <summary>
    /// Runs every offboarding left preparing or deleting, here and now (the Functions host's timer: an instance
    /// that scaled in took its background work with it).
    /// </summary>
    public async Task RunPendingAsync(CancellationToken cancellationToken)
    {
        var pending = await offboardings.ListAsync(cancellationToken)
            .Where(r => r.Status is OffboardingStatus.Preparing or OffboardingStatus.Deleting)
            .Select(r => r.ClientId)
            .ToListAsync(cancellationToken);
        foreach (var clientId in pending)
        {
            await RunAsync(clientId, cancellationToken);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var record in offboardings.ListAsync(stoppingToken))
            {
                if (record.Status is OffboardingStatus.Preparing or OffboardingStatus.Deleting)
                {
                    Start(record.ClientId);
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Listing the offboardings to resume failed; they resume when their status is read");
        }
        try
        {
            await foreach (var clientId in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(clientId, stoppingToken);
                }
                finally
                {
                    _queued.TryRemove(clientId, out _);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: an unfinished preparation resumes at the next start.
        }
    }

    /// <summary>The client's pending work, unless it runs already on this instance; a failure is logged, and resumed later.</summary>
    private async Task RunAsync(string clientId, CancellationToken cancellationToken)
    {
        try
        {
            switch ((await offboardings.GetAsync(clientId, cancellationToken))?.Record.Status)
            {
                case OffboardingStatus.Preparing:
                    using (var run = gate.TryEnter(PreparationGate(clientId)))
                    {
                        if (run is not null)
                        {
                            await offboarding.PrepareAsync(clientId, cancellationToken);
                        }
                    }
                    break;
                case OffboardingStatus.Deleting:
                    using (var run = gate.TryEnter(DeletionGate(clientId)))
                    {
                        if (run is not null)
                        {
                            await offboarding.ResumeDeletionAsync(clientId, cancellationToken);
                        }
                    }
                    break;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Offboarding work of client {ClientId} failed; it resumes when its status is read", clientId);
        }
    }
}
