using System.Net.Http.Headers;

namespace Permanence.Infrastructure.Notifications;

/// <summary>What the email and SMS adapters make of a provider's reply.</summary>
internal static class ProviderReplies
{
    /// <summary>Retry-After as seconds or as an HTTP date (RFC 9110, 10.2.3); a date in the past means now.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time) =>
        header switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
            _ => null,
        };

    /// <summary>
    /// Provider error text made fit to store with the delivery: the secrets and the recipient replaced by ***,
    /// whitespace folded, at most <paramref name="maxLength"/> characters.
    /// </summary>
    public static string Redact(string text, int maxLength, params string?[] hidden)
    {
        foreach (var value in hidden)
        {
            if (value is { Length: > 0 })
            {
                text = text.Replace(value, "***", StringComparison.OrdinalIgnoreCase);
            }
        }
        text = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return text.Length <= maxLength ? text : text[..(maxLength - 1)] + "…";
    }
}
