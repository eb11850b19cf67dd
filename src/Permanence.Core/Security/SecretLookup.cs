using System.Security.Cryptography;
using System.Text;

namespace Permanence.Core.Security;

/// <summary>
/// Shared secrets (API keys, webhook tokens) kept only as SHA-256 digests, computed once; a presented secret is
/// compared against every entry in constant time, so timing reveals neither whether nor which one matched.
/// </summary>
public sealed class SecretLookup<T>(IEnumerable<(string Secret, T Value)> entries) where T : class
{
    private readonly List<(byte[] Digest, T Value)> _entries = entries.Select(e => (Digest(e.Secret), e.Value)).ToList();

    public T? Find(string? presented)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }
        var digest = Digest(presented);
        T? match = null;
        foreach (var (candidate, value) in _entries)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, digest))
            {
                match ??= value;
            }
        }
        return match;
    }

    private static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
