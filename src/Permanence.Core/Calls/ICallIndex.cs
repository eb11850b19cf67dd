using NodaTime;

namespace Permanence.Core.Calls;

/// <summary>
/// Port: a client's calls by month of the client's own calendar (docs/architecture.md, "Calls by client and
/// month"), so that a month's report reads one partition and never another client's calls.
/// </summary>
public interface ICallIndex
{
    Task UpsertAsync(string clientId, YearMonth month, CallRecord record, CancellationToken cancellationToken);

    Task<bool> ContainsAsync(string clientId, YearMonth month, string provider, string callId, CancellationToken cancellationToken);

    Task RemoveAsync(string clientId, YearMonth month, string provider, string callId, CancellationToken cancellationToken);

    IAsyncEnumerable<CallRecord> ListAsync(string clientId, YearMonth month, CancellationToken cancellationToken);
}
