namespace Permanence.Core.Security;

public enum ApiRole
{
    Operator,
    Admin,
    Auditor,
}

public sealed record ApiKeyDefinition(string Key, string Role, IReadOnlyList<string> Clients);

/// <summary>An authenticated caller. <see cref="KeyId"/> is a keyed digest of the key: safe to log and to record in audits.</summary>
public sealed class ApiPrincipal(string keyId, ApiRole role, IReadOnlyCollection<string> clients) : IClientScope
{
    public string KeyId { get; } = keyId;
    public ApiRole Role { get; } = role;
    public bool AllClients { get; } = clients.Contains("*");

    public bool CanAccess(string clientId) => AllClients || clients.Contains(clientId);
}

/// <summary>API keys (README, "Configuration"), looked up by digest (<see cref="SecretLookup{T}"/>), never kept in clear.</summary>
public sealed class ApiKeyRegistry
{
    private readonly SecretLookup<ApiPrincipal> _keys;

    /// <param name="keyIdSecret">Keys the ids: without it, anyone holding a candidate key could confirm it from a log line.</param>
    public ApiKeyRegistry(IEnumerable<ApiKeyDefinition> definitions, string keyIdSecret)
    {
        _keys = new SecretLookup<ApiPrincipal>(definitions.Select(definition =>
        {
            if (!TryParseRole(definition.Role, out var role))
            {
                throw new ArgumentException($"Unknown API key role '{definition.Role}'.", nameof(definitions));
            }
            var principal = new ApiPrincipal(KeyIdOf(definition.Key, keyIdSecret), role, definition.Clients.ToHashSet(StringComparer.Ordinal));
            return (definition.Key, principal);
        }).ToList());
    }

    /// <summary>A stable id for a key, safe to log and record: HMAC-SHA256 under a server secret, 96 bits in hex.</summary>
    public static string KeyIdOf(string key, string keyIdSecret) =>
        "key-" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(keyIdSecret), System.Text.Encoding.UTF8.GetBytes(key)))[..24];

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
