using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Permanence.Core.Clients;

namespace Permanence.Infrastructure.Storage;

/// <summary>
/// Tables, blobs and (when routing goes through Storage queues) queues, each asked one cheap question. The answer
/// is kept a few seconds so that a health endpoint polled often, or by many, costs storage almost nothing.
/// </summary>
public sealed class StorageHealthProbe(
    TableServiceClient tables,
    BlobServiceClient blobs,
    QueueServiceClient queues,
    IOptions<PermanenceOptions> options,
    TimeProvider time) : IStorageHealthProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Answer? _last;

    private sealed record Answer(DateTimeOffset At, bool Reachable);

    /// <remarks>
    /// The probe does not run under the caller's cancellation: a caller hanging up early must not be taken for
    /// storage being down (and cached as such for everyone).
    /// </remarks>
    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        if (Fresh() is { } cached)
        {
            return cached;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Fresh() is { } again)
            {
                return again; // another request probed while this one waited
            }
            var reachable = await ProbeAsync();
            _last = new Answer(time.GetUtcNow(), reachable);
            return reachable;
        }
        finally
        {
            _gate.Release();
        }
    }

    private bool? Fresh() => _last is { } last && time.GetUtcNow() - last.At < CacheFor ? last.Reachable : null;

    private async Task<bool> ProbeAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await tables.GetPropertiesAsync(cts.Token);
            await blobs.GetBlobContainerClient(StorageNames.RawContainer).ExistsAsync(cts.Token);
            var serviceBus = options.Value.ServiceBus;
            if (string.IsNullOrWhiteSpace(serviceBus.ConnectionString) && string.IsNullOrWhiteSpace(serviceBus.FullyQualifiedNamespace))
            {
                await queues.GetQueueClient(StorageNames.RoutingQueue).ExistsAsync(cts.Token);
            }
            return true;
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or AggregateException or HttpRequestException
            or Azure.Identity.AuthenticationFailedException or Azure.Identity.CredentialUnavailableException)
        {
            return false;
        }
    }
}
