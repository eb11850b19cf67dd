using NodaTime;

namespace Permanence.Core.Common;

/// <summary>
/// Bounds checked before anything is written (README, "Limits"): storage refuses dates before 1601 and
/// zone conversion breaks near year 9999, so timestamps must fall in a range a telephone record can have.
/// </summary>
public static class Limits
{
    public static readonly Instant EarliestTimestamp = Instant.FromUtc(2000, 1, 1, 0, 0);
    public static readonly Instant LatestTimestamp = Instant.FromUtc(2100, 1, 1, 0, 0);

    public const string TimestampRangeMessage = "must be between 2000-01-01 and 2100-01-01";

    /// <summary>Numbers kept as received (withheld, short codes, SIP addresses): longer than this is not a phone number.</summary>
    public const int MaxPhoneTextLength = 128;

    public static bool IsInRange(Instant instant) => instant >= EarliestTimestamp && instant < LatestTimestamp;

    public static bool IsInRange(LocalDate date) => date.Year is >= 2000 and < 2100;

    public static bool HasControlCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Free text of bounded length with no control characters (or null); adds an error otherwise.</summary>
    public static void CheckShortText(string? value, int maxLength, string path, ValidationErrors errors)
    {
        if (value is null)
        {
            return;
        }
        if (value.Length > maxLength)
        {
            errors.Add(path, $"must be at most {maxLength} characters");
        }
        else if (HasControlCharacters(value))
        {
            errors.Add(path, "must not contain control characters");
        }
    }
}
