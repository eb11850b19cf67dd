using NodaTime;
using Permanence.Core.Configuration;

namespace Permanence.Core.Messages;

/// <summary>What the monthly report reads of a message (docs/architecture.md, "Calls by client and month").</summary>
public sealed record MessageIndexEntry(string Id, Instant TakenAt, Priority Priority, string Scenario, bool Complete);

/// <summary>Port: a client's messages by month of the client's own calendar, one partition per month.</summary>
public interface IMessageIndex
{
    Task UpsertAsync(string clientId, YearMonth month, MessageIndexEntry entry, CancellationToken cancellationToken);

    Task<bool> ContainsAsync(string clientId, YearMonth month, string messageId, CancellationToken cancellationToken);

    IAsyncEnumerable<MessageIndexEntry> ListAsync(string clientId, YearMonth month, CancellationToken cancellationToken);
}
