using System.Security.Cryptography;
using System.Text;

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

/// <summary>API keys of DESIGN.md §3: compared by SHA-256 digest in constant time, never kept in clear.</summary>
public sealed class ApiKeyRegistry
{
    private readonly List<(byte[] Digest, ApiPrincipal Principal)> _keys = [];

    public ApiKeyRegistry(IEnumerable<ApiKeyDefinition> definitions)
    {
        foreach (var definition in definitions)
        {
            if (!TryParseRole(definition.Role, out var role))
            {
                throw new ArgumentException($"Unknown API key role '{definition.Role}'.", nameof(definitions));
            }
            var digest = Digest(definition.Key);
            var keyId = Convert.ToHexStringLower(digest)[..12];
            _keys.Add((digest, new ApiPrincipal(keyId, role, definition.Clients.ToHashSet(StringComparer.Ordinal))));
        }
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

    public ApiPrincipal? Authenticate(string? presentedKey)
    {
        if (string.IsNullOrEmpty(presentedKey))
        {
            return null;
        }
        var digest = Digest(presentedKey);
        ApiPrincipal? match = null;
        foreach (var (candidate, principal) in _keys)
        {
            // Visit every key so that timing does not reveal which one matched.
            if (CryptographicOperations.FixedTimeEquals(candidate, digest))
            {
                match ??= principal;
            }
        }
        return match;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
