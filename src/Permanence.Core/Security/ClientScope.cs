namespace Permanence.Core.Security;

/// <summary>Which clients a caller may reach: an API key's scope, or every client for a signed provider webhook.</summary>
public interface IClientScope
{
    bool AllClients { get; }

    bool CanAccess(string clientId);
}

public static class ClientScope
{
    /// <summary>Provider webhooks are signed by the provider, not scoped to a client: their calls go where their numbers say.</summary>
    public static readonly IClientScope Everyone = new AllClientsScope();

    private sealed class AllClientsScope : IClientScope
    {
        public bool AllClients => true;

        public bool CanAccess(string clientId) => true;
    }
}
