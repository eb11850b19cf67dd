using System.Collections.Concurrent;

namespace Permanence.Http;

/// <summary>
/// Admin runs of heavy jobs, one at a time per key in this process (a second one gets 409 rather than doubling
/// the storage load), and a cooldown between runs of the same key. The jobs themselves are safe to run
/// concurrently (every write is conditional); this only keeps a repeated request from saturating storage.
/// </summary>
public sealed class JobGate(TimeProvider time)
{
    private readonly TimeProvider _time = time;

    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _finished = new(StringComparer.Ordinal);

    /// <summary>Null when a run of <paramref name="key"/> is in progress; dispose the result when the run ends.</summary>
    public IDisposable? TryEnter(string key) => _running.TryAdd(key, 0) ? new Lease(this, key) : null;

    /// <summary>How long until <paramref name="key"/> may run again after its last run ended (zero when it may now).</summary>
    public TimeSpan CooldownLeft(string key, TimeSpan cooldown) =>
        _finished.TryGetValue(key, out var at) && at + cooldown - _time.GetUtcNow() is { Ticks: > 0 } left ? left : TimeSpan.Zero;

    private sealed class Lease(JobGate gate, string key) : IDisposable
    {
        public void Dispose()
        {
            gate._finished[key] = gate._time.GetUtcNow();
            gate._running.TryRemove(key, out _);
        }
    }
}
