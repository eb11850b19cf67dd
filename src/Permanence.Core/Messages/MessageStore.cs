using NodaTime;

namespace Permanence.Core.Messages;

public enum AddOutcome
{
    Added,
    AlreadyExists,
}

/// <summary>Port: messages, and the outbox of messages whose routing command may not be on the queue yet.</summary>
public interface IMessageStore
{
    /// <summary>Whether the message fits in one stored record (storage limits are checked before anything is written).</summary>
    bool CanStore(Message message);

    Task<AddOutcome> AddAsync(Message message, CancellationToken cancellationToken);

    Task<Message?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every message of a client (a scan of the whole store: repairs only, never on a request's path).</summary>
    IAsyncEnumerable<Message> ListByClientAsync(string clientId, CancellationToken cancellationToken);

    Task SetRoutingStateAsync(string id, RoutingState state, CancellationToken cancellationToken);

    /// <summary>Records that the message's routing command is owed (written before the message itself); an existing marker keeps its time.</summary>
    Task AddPendingRoutingAsync(string id, string clientId, Instant at, CancellationToken cancellationToken);

    Task RemovePendingRoutingAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<PendingRouting>> ListPendingRoutingAsync(Instant olderThan, int max, CancellationToken cancellationToken);

    /// <summary>Moves the marker's time to <paramref name="now"/> if nobody else did since it was listed: one sweeper wins.</summary>
    Task<bool> TryClaimPendingRoutingAsync(PendingRouting pending, Instant now, CancellationToken cancellationToken);
}

/// <param name="Version">Concurrency token of the marker as listed.</param>
public sealed record PendingRouting(string MessageId, string ClientId, Instant Since, string Version);
