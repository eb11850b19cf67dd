using System.Text.RegularExpressions;

namespace Permanence.Core.Common;

/// <summary>
/// Identifiers end up in table keys and blob paths: only a conservative alphabet is accepted, so no
/// key can contain '/', '\', '#', '?', control characters or traverse a path. Patterns end with <c>\z</c>,
/// not <c>$</c>: <c>$</c> also matches before a final newline, which would let "c1\n" through.
/// </summary>
public static partial class Identifiers
{
    public const int MaxLength = 64;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ClientIdPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ExternalIdPattern();

    /// <summary>Client ids: lowercase letters, digits and inner hyphens, 1–64 characters.</summary>
    public static bool IsValidClientId(string? value) => value is not null && ClientIdPattern().IsMatch(value);

    /// <summary>Ids that come from outside (provider call ids, contact ids, scenario ids): letters, digits, '.', '_', ':', '-'.</summary>
    public static bool IsValidExternalId(string? value) => value is not null && ExternalIdPattern().IsMatch(value);
}
