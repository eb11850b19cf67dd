using System.Globalization;
using System.Text;

namespace Permanence.Core.Routing;

/// <summary>
/// SMS bodies kept to two segments: text is reduced to the GSM 03.38 alphabet (so one segment holds 153
/// characters, not 67 as in UCS-2) and the parts that may be long are shortened to fit 306.
/// </summary>
public static class SmsText
{
    public const int MaxSeptets = 2 * 153;

    private const string Basic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    private const string Extension = "^{}\\[~]|€";

    /// <summary>Septets the text takes in GSM-7 (extension characters take two); -1 when it is not GSM-7.</summary>
    public static int Septets(string text)
    {
        var count = 0;
        foreach (var c in text)
        {
            if (Basic.Contains(c, StringComparison.Ordinal))
            {
                count++;
            }
            else if (Extension.Contains(c, StringComparison.Ordinal))
            {
                count += 2;
            }
            else
            {
                return -1;
            }
        }
        return count;
    }

    /// <summary>
    /// Replaces what GSM-7 lacks: accents dropped (ê → e), typographic quotes and dashes made plain, the rest '?' —
    /// one per character as seen on screen, so an emoji (several code points, or a surrogate pair) is one '?'.
    /// </summary>
    public static string ToGsm(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }
        var builder = new StringBuilder(text.Length);
        var elements = StringInfo.GetTextElementEnumerator(text.Replace('\r', ' ').Replace('\n', ' ').Replace('\t', ' '));
        while (elements.MoveNext())
        {
            builder.Append(ToGsmElement(elements.GetTextElement()));
        }
        return builder.ToString();
    }

    private static string ToGsmElement(string element)
    {
        if (element.EnumerateRunes().Any(r => r == Rune.ReplacementChar))
        {
            return "?"; // a lone surrogate (or U+FFFD itself): nothing to normalise
        }
        var composed = element.Normalize(NormalizationForm.FormC); // "e" + U+0301 is "é", in the basic set
        if (composed.Length == 1)
        {
            var c = composed[0];
            if (Basic.Contains(c, StringComparison.Ordinal) || Extension.Contains(c, StringComparison.Ordinal))
            {
                return composed;
            }
            var replacement = c switch
            {
                '’' or '‘' or '`' => "'",
                '“' or '”' or '«' or '»' => "\"",
                '–' or '—' => "-",
                '…' => "...",
                'ç' => "c",
                _ => null,
            };
            if (replacement is not null)
            {
                return replacement;
            }
        }
        // Accents and invisible joiners and selectors dropped: "ê" is "e"; what is left of an emoji is still not GSM.
        var plain = string.Concat(composed.Normalize(NormalizationForm.FormD)
            .Where(d => CharUnicodeInfo.GetUnicodeCategory(d) is not (UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format)));
        return plain.Length == 0 ? "" : Septets(plain) > 0 ? plain : "?";
    }

    /// <summary>
    /// Joins the fixed parts (always kept whole: priority, callback number, ack link, code) and the shrinkable parts
    /// (shortened from the longest, with "…" as "..."), so the whole is at most <see cref="MaxSeptets"/>. The
    /// shrinkable parts longer than a common length are cut to it, the largest that fits: the room is shared, so a
    /// long caller name does not take all of it from the message text.
    /// </summary>
    public static string Compose(IReadOnlyList<(string Text, bool Shrinkable)> parts, string separator = " - ")
    {
        var texts = parts.Select(p => ToGsm(p.Text)).ToArray();
        string Capped(int cap) => string.Join(separator, texts
            .Select((text, i) => parts[i].Shrinkable && text.Length > cap ? Cut(text, cap) : text)
            .Where(t => t.Length > 0));
        var longest = texts.Where((_, i) => parts[i].Shrinkable).Select(t => t.Length).DefaultIfEmpty(0).Max();
        var body = Capped(longest);
        if (Septets(body) <= MaxSeptets)
        {
            return body;
        }
        var bare = Capped(0);
        if (Septets(bare) > MaxSeptets)
        {
            // The fixed parts alone are too long: cut the end (never happens with our parts' bounds).
            return bare[..Math.Min(bare.Length, MaxSeptets / 2)];
        }
        // The longer the common length, the longer the body: the largest that fits, by bisection.
        var (fits, tooLong) = (0, longest);
        while (tooLong - fits > 1)
        {
            var cap = fits + ((tooLong - fits) / 2);
            (fits, tooLong) = Septets(Capped(cap)) <= MaxSeptets ? (cap, tooLong) : (fits, cap);
        }
        return Capped(fits);
    }

    /// <summary>At most <paramref name="cap"/> characters, "..." included; nothing when "..." alone would not fit.</summary>
    private static string Cut(string text, int cap) => cap <= 3 ? "" : text[..(cap - 3)].TrimEnd() + "...";
}
