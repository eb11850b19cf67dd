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

    public async Task<ContractHistory?> GetHistoryAsync(string clientId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_histories.TryGetValue(clientId, out var cached) && now - cached.At < Ttl)
        {
            return cached.Value;
        }
        var history = await contracts.GetHistoryAsync(clientId, cancellationToken);
        _histories[clientId] = (now, history);
        return history;
    }

    public async Task<string?> FindNumberOwnerAsync(string e164, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_owners.TryGetValue(e164, out var cached) && now - cached.At < Ttl)
        {
            return cached.Value;
        }
        var owner = await store.GetNumberOwnerAsync(e164, cancellationToken);
        _owners[e164] = (now, owner);
        return owner;
    }

    public void Evict(string clientId)
    {
        _histories.TryRemove(clientId, out _);
        _owners.Clear();
    }
}
