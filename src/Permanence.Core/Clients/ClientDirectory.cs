using Microsoft.Extensions.Caching.Memory;
using NodaTime;
using Permanence.Core.Configuration;

namespace Permanence.Core.Clients;

/// <summary>
/// Read side of the contracts for ingestion and routing: number owners and compiled histories, cached briefly
/// (every call event needs them) in a bounded cache. A PUT on this instance evicts at once; other instances see
/// it within <see cref="Ttl"/>.
/// </summary>
public sealed class ClientDirectory : IDisposable
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);

    /// <summary>Entries kept at most (each client history and each number counts one).</summary>
    public const int MaxEntries = 10_000;

    private readonly ContractService _contracts;
    private readonly IContractStore _store;
    private readonly MemoryCache _cache;

    private readonly Offboarding.IOffboardingStore? _offboardings;

    public ClientDirectory(ContractService contracts, IContractStore store, TimeProvider time, Offboarding.IOffboardingStore? offboardings = null)
    {
        _contracts = contracts;
        _store = store;
        _offboardings = offboardings;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = MaxEntries, Clock = new TimeProviderClock(time) });
    }

    public int Count => _cache.Count;

    /// <summary>
    /// The client's compiled history; null for an unknown client, and for one whose offboarding was confirmed
    /// (README, "Offboarding and retention"): from then on nothing new is accepted for it while it is deleted.
    /// </summary>
    public Task<ContractHistory?> GetHistoryAsync(string clientId, CancellationToken cancellationToken) =>
        CachedAsync(("history", clientId), async () =>
            _offboardings is not null
            && await _offboardings.GetAsync(clientId, cancellationToken) is { Record.ClientClosed: true }
                ? null
                : await _contracts.GetHistoryAsync(clientId, cancellationToken));

    /// <summary>The client owning the number at <paramref name="at"/> (README, "Numbers over time"), or null.</summary>
    public async Task<string?> FindNumberOwnerAsync(string e164, Instant at, CancellationToken cancellationToken)
    {
        var claimants = await CachedAsync(("claimants", e164), async () =>
            (IReadOnlyList<string>?)(await _store.GetNumberClaimsAsync(e164, cancellationToken))
                .Select(c => c.ClientId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
        foreach (var clientId in claimants ?? [])
        {
            // The saved versions decide; a claim row only says which clients to look at.
            var history = await GetHistoryAsync(clientId, cancellationToken);
            if (ContractService.OwnershipOf(history, e164).Any(i => i.Contains(at)))
            {
                return clientId;
            }
        }
        return null;
    }

    private async Task<T?> CachedAsync<T>((string Kind, string Key) key, Func<Task<T?>> load) where T : class
    {
        if (_cache.TryGetValue(key, out T? cached))
        {
            return cached;
        }
        var value = await load();
        // Unknown clients and free numbers are cached too (as null), so a flood of them cannot bypass the cache.
        _cache.Set(key, value, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = Ttl });
        return value;
    }

    /// <summary>After a saved change: any number's owner may have changed, so everything goes; the next reads reload what they need.</summary>
    public void EvictAll() => _cache.Clear();

    public void Dispose() => _cache.Dispose();

    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
