namespace Permanence.Core.Clients;

/// <summary>Port: tells whether storage answers.</summary>
public interface IStorageHealthProbe
{
    Task<bool> IsReachableAsync(CancellationToken cancellationToken);
}
