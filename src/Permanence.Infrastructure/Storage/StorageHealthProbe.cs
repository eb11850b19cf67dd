using Azure;
using Azure.Data.Tables;
using Permanence.Core.Clients;

namespace Permanence.Infrastructure.Storage;

public sealed class StorageHealthProbe(TableServiceClient tables) : IStorageHealthProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<bool> IsReachableAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(Timeout);
        try
        {
            await tables.GetPropertiesAsync(cts.Token);
            return true;
        }
        catch (Exception e) when (e is RequestFailedException or OperationCanceledException or AggregateException or HttpRequestException)
        {
            return false;
        }
    }
}
