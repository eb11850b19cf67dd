using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Messages;

namespace Permanence.Core.Sla;

/// <summary>What a rebuild wrote: the entries of every call and message of the client.</summary>
public sealed record IndexRebuildResult(int Calls, int Messages);

/// <summary>
/// Rewrites a client's entries in the calls and messages indexes by month (docs/architecture.md, "Calls by client
/// and month") from the stores themselves, should an index ever be lost or damaged. Entries are upserted, so a
/// rebuild can run alongside ingestion and be repeated; it scans the whole stores, so it is an admin's repair.
/// </summary>
public sealed class MonthIndexRebuild(ClientDirectory clients, ICallStore calls, IMessageStore messages, ICallIndex callIndex, IMessageIndex messageIndex)
{
    /// <summary>Null when the client does not exist.</summary>
    public async Task<IndexRebuildResult?> RunAsync(string clientId, CancellationToken cancellationToken)
    {
        var history = await clients.GetHistoryAsync(clientId, cancellationToken);
        if (history is null || history.IsEmpty)
        {
            return null;
        }
        int callCount = 0, messageCount = 0;
        await foreach (var call in calls.ListByClientAsync(clientId, cancellationToken))
        {
            if (call.StartedAt is { } startedAt)
            {
                await callIndex.UpsertAsync(clientId, history.MonthOf(startedAt), call, cancellationToken);
                callCount++;
            }
        }
        await foreach (var message in messages.ListByClientAsync(clientId, cancellationToken))
        {
            await messageIndex.UpsertAsync(clientId, history.MonthOf(message.TakenAt),
                new MessageIndexEntry(message.Id, message.TakenAt, message.Priority, message.Scenario, message.Qualification.Complete), cancellationToken);
            messageCount++;
        }
        return new IndexRebuildResult(callCount, messageCount);
    }
}
