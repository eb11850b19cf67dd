namespace Permanence.Core.Security;

public enum ApiRole
{
    Operator,
    Admin,
    Auditor,
}

public sealed record ApiKeyDefinition(string Key, string Role, IReadOnlyList<string> Clients);

/// <summary>An authenticated caller. <see cref="KeyId"/> is a digest prefix: safe to log and to record in audits.</summary>
public sealed class ApiPrincipal(string keyId, ApiRole role, IReadOnlyCollection<string> clients)
{
    public string KeyId { get; } = keyId;
    public ApiRole Role { get; } = role;
    public bool AllClients { get; } = clients.Contains("*");

    public bool CanAccess(string clientId) => AllClients || clients.Contains(clientId);
}

/// <summary>API keys of DESIGN.md §3, looked up by digest (<see cref="SecretLookup{T}"/>), never kept in clear.</summary>
public sealed class ApiKeyRegistry
{
    private readonly SecretLookup<ApiPrincipal> _keys;

    public ApiKeyRegistry(IEnumerable<ApiKeyDefinition> definitions)
    {
        _keys = new SecretLookup<ApiPrincipal>(definitions.Select(definition =>
        {
            if (!TryParseRole(definition.Role, out var role))
            {
                throw new ArgumentException($"Unknown API key role '{definition.Role}'.", nameof(definitions));
            }
            var principal = new ApiPrincipal(SecretLookup<ApiPrincipal>.IdOf(definition.Key), role, definition.Clients.ToHashSet(StringComparer.Ordinal));
            return (definition.Key, principal);
        }).ToList());
    }

    public static bool TryParseRole(string? value, out ApiRole role)
    {
        switch (value)
        {
            case "operator": role = ApiRole.Operator; return true;
            case "admin": role = ApiRole.Admin; return true;
            case "auditor": role = ApiRole.Auditor; return true;
            default: role = default; return false;
        }
    }

    public ApiPrincipal? Authenticate(string? presentedKey) => _keys.Find(presentedKey);
}
