using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Permanence.Integration.Tests.Fuzz;

/// <summary>JSON text written by hand (so bodies carry raw non-ASCII, raw fragments and exact sizes) and printable reports.</summary>
public static class FuzzText
{
    /// <summary>A fragment written verbatim into the JSON text (deep nesting, malformed tokens, duplicate members).</summary>
    public sealed record Raw(string Text);

    /// <summary>A member appended verbatim to an object, after its other members (a duplicate key, say).</summary>
    public sealed record RawMember(string Name, string ValueText);

    public const string RawMembersProperty = "\u0000raw-members";

    public static string Json(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return builder.ToString();
    }

    private static void Write(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;
            case JsonObject obj:
                builder.Append('{');
                var first = true;
                List<RawMember>? rawMembers = null;
                foreach (var (name, value) in obj)
                {
                    if (name == RawMembersProperty)
                    {
                        rawMembers = value!.AsValue().GetValue<List<RawMember>>();
                        continue;
                    }
                    if (!first)
                    {
                        builder.Append(',');
                    }
                    first = false;
                    WriteString(builder, name);
                    builder.Append(':');
                    Write(builder, value);
                }
                foreach (var member in rawMembers ?? [])
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }
                    first = false;
                    WriteString(builder, member.Name);
                    builder.Append(':').Append(member.ValueText);
                }
                builder.Append('}');
                break;
            case JsonArray array:
                builder.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }
                    Write(builder, array[i]);
                }
                builder.Append(']');
                break;
            case JsonValue value when value.TryGetValue<Raw>(out var raw):
                builder.Append(raw.Text);
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                WriteString(builder, text);
                break;
            default:
                builder.Append(node.ToJsonString());
                break;
        }
    }

    /// <summary>Only what JSON requires is escaped: quotes, backslashes and control characters; the rest stays raw UTF-8.</summary>
    private static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case < ' ': builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: builder.Append(c); break;
            }
        }
        builder.Append('"');
    }

    /// <summary>A printable, bounded rendering: control characters and non-printables escaped, long runs summarised.</summary>
    public static string Visible(string value, int max = 600)
    {
        var builder = new StringBuilder();
        var i = 0;
        while (i < value.Length && builder.Length < max)
        {
            var c = value[i];
            var run = 1;
            while (i + run < value.Length && value[i + run] == c)
            {
                run++;
            }
            if (run >= 16)
            {
                builder.Append(Char(c)).Append($"«×{run}»");
                i += run;
                continue;
            }
            builder.Append(Char(c));
            i++;
        }
        if (i < value.Length)
        {
            builder.Append($"…(+{value.Length - i} chars)");
        }
        return builder.ToString();
    }

    private static string Char(char c) => c switch
    {
        '\n' => "\\n",
        '\r' => "\\r",
        '\t' => "\\t",
        _ when char.IsControl(c) || char.IsSurrogate(c) || c == '\u200B' || c == '\u202E' || c == '\uFEFF' => $"\\u{(int)c:x4}",
        _ => c.ToString(),
    };

    /// <summary>Bytes shown as text where they are valid UTF-8, invalid sequences as \xNN.</summary>
    public static string VisibleBytes(byte[] bytes, int max = 900)
    {
        var decoder = new UTF8Encoding(false, throwOnInvalidBytes: true);
        try
        {
            return Visible(decoder.GetString(bytes), max);
        }
        catch (DecoderFallbackException)
        {
            var builder = new StringBuilder();
            var i = 0;
            while (i < bytes.Length && builder.Length < max)
            {
                var length = SequenceLength(bytes, i);
                if (length == 0)
                {
                    builder.Append($"\\x{bytes[i]:X2}");
                    i++;
                }
                else
                {
                    builder.Append(Visible(Encoding.UTF8.GetString(bytes, i, length), 64));
                    i += length;
                }
            }
            if (i < bytes.Length)
            {
                builder.Append($"…(+{bytes.Length - i} bytes)");
            }
            return builder.ToString();
        }
    }

    private static int SequenceLength(byte[] bytes, int i)
    {
        var b = bytes[i];
        var length = b < 0x80 ? 1 : b is >= 0xC2 and <= 0xDF ? 2 : b is >= 0xE0 and <= 0xEF ? 3 : b is >= 0xF0 and <= 0xF4 ? 4 : 0;
        if (length == 0 || i + length > bytes.Length)
        {
            return 0;
        }
        for (var k = 1; k < length; k++)
        {
            if ((bytes[i + k] & 0xC0) != 0x80)
            {
                return 0;
            }
        }
        try
        {
            new UTF8Encoding(false, true).GetString(bytes, i, length);
            return length;
        }
        catch (DecoderFallbackException)
        {
            return 0;
        }
    }
}
