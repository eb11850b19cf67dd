using System.Collections.Concurrent;
using Permanence.Core.Configuration;

namespace Permanence.Core.Clients;

/// <summary>
/// Read side of the contracts for ingestion and routing: number owners and compiled histories, cached briefly
/// (every call event needs them). A PUT on this instance evicts at once; other instances see it within
/// <see cref="Ttl"/>.
/// </summary>
public sealed class ClientDirectory(ContractService contracts, IContractStore store, TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, (DateTimeOffset At, ContractHistory? Value)> _histories = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string? Value)> _owners = new(StringComparer.Ordinal);

    public Task<ContractHistory?> GetHistoryAsync(string clientId, CancellationToken cancellationToken) =>
        CachedAsync(_histories, clientId, () => contracts.GetHistoryAsync(clientId, cancellationToken));

    public Task<string?> FindNumberOwnerAsync(string e164, CancellationToken cancellationToken) =>
        CachedAsync(_owners, e164, () => store.GetNumberOwnerAsync(e164, cancellationToken));

    private async Task<T?> CachedAsync<T>(ConcurrentDictionary<string, (DateTimeOffset At, T? Value)> cache, string key, Func<Task<T?>> load)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(key, out var cached) && now - cached.At < Ttl)
        {
            return cached.Value;
        }
        var value = await load();
        cache[key] = (now, value);
        return value;
    }

    public void Evict(string clientId)
    {
        _histories.TryRemove(clientId, out _);
        _owners.Clear();
    }
}
