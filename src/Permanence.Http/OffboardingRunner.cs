using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Permanence.Core.Offboarding;

namespace Permanence.Http;

/// <summary>
/// Prepares offboardings in the background, one client at a time (README, "Offboarding and retention"): the request
/// answers 202 at once. Every preparation can be redone, so one that stopped with its process is resumed at the
/// next start, and when its status is read while nothing runs it.
/// </summary>
public sealed class OffboardingRunner(OffboardingService offboarding, IOffboardingStore offboardings, JobGate gate, ILogger<OffboardingRunner> logger) : BackgroundService
{
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);

    private static string GateKey(string clientId) => $"offboard|{clientId}";

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
                if (record.Status == OffboardingStatus.Preparing)
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
                    using var run = gate.TryEnter(GateKey(clientId));
                    if (run is not null)
                    {
                        await offboarding.PrepareAsync(clientId, stoppingToken);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Preparing the offboarding of client {ClientId} failed; it resumes when its status is read", clientId);
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
