using PhoneNumbers;

namespace Permanence.Core.Common;

/// <summary>E.164 normalisation with libphonenumber; the default region comes from the client's locale.</summary>
public static class PhoneNumberNormalizer
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>Returns the E.164 form of a valid number, or null when it does not parse as a valid number.</summary>
    public static string? TryNormalize(string? input, string? defaultRegion)
    {
        if (string.IsNullOrWhiteSpace(input))
        {
            return null;
        }
        try
        {
            var parsed = Util.Parse(input, string.IsNullOrEmpty(defaultRegion) ? null : defaultRegion);
            return Util.IsValidNumber(parsed) ? Util.Format(parsed, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>Whether the text has the shape of an E.164 number ('+', then 2 to 15 digits, no leading zero).</summary>
    public static bool LooksLikeE164(string? value) =>
        value is { Length: >= 3 and <= 16 } && value[0] == '+' && value[1] is >= '1' and <= '9' && value.Skip(1).All(char.IsAsciiDigit);

    /// <summary>The region part of a locale such as "fr-FR" ("FR"), or null.</summary>
    public static string? RegionOf(string? locale)
    {
        if (string.IsNullOrWhiteSpace(locale))
        {
            return null;
        }
        var dash = locale.LastIndexOfAny(['-', '_']);
        var region = dash >= 0 ? locale[(dash + 1)..].ToUpperInvariant() : null;
        return region is { Length: 2 } && Util.GetSupportedRegions().Contains(region) ? region : null;
    }

    /// <summary>Masks all but the last two digits, for logs: "+33******78".</summary>
    public static string Mask(string? number)
    {
        if (string.IsNullOrEmpty(number))
        {
            return "";
        }
        var keep = Math.Min(2, number.Length);
        var prefix = number.StartsWith('+') && number.Length > 3 ? number[..3] : "";
        var hidden = number.Length - keep - prefix.Length;
        return prefix + new string('*', Math.Max(0, hidden)) + number[^keep..];
    }
}
