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
                    switch ((await offboardings.GetAsync(clientId, stoppingToken))?.Record.Status)
                    {
                        case OffboardingStatus.Preparing:
                            using (var run = gate.TryEnter(PreparationGate(clientId)))
                            {
                                if (run is not null)
                                {
                                    await offboarding.PrepareAsync(clientId, stoppingToken);
                                }
                            }
                            break;
                        case OffboardingStatus.Deleting:
                            using (var run = gate.TryEnter(DeletionGate(clientId)))
                            {
                                if (run is not null)
                                {
                                    await offboarding.ResumeDeletionAsync(clientId, stoppingToken);
                                }
                            }
                            break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Offboarding work of client {ClientId} failed; it resumes when its status is read", clientId);
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
}
