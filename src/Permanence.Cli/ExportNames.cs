using System.Text;

namespace Permanence.Cli;

/// <summary>File names that come from a manifest or a server: checked before use, escaped before display.</summary>
public static class ExportNames
{
    public const string Manifest = "manifest.json";

    // Characters that make a name a path, a device or a stream on some system, or that Windows refuses.
    private static readonly char[] Forbidden = ['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

    /// <summary>
    /// A plain file name: no separator, not "." or "..", no control character, no trailing dot or space
    /// (Windows would drop them and read another file), at most 255 characters. An export's files all sit
    /// in one folder, so anything else in a manifest or a listing is hostile and is never opened.
    /// </summary>
    public static bool IsPlainFileName(string? name) =>
        !string.IsNullOrEmpty(name)
        && name.Length <= 255
        && name is not "." and not ".."
        && name.IndexOfAny(Forbidden) < 0
        && !name.Any(char.IsControl)
        && !name.EndsWith('.') && !name.EndsWith(' ')
        && !Path.IsPathRooted(name)
        && Path.GetFileName(name) == name;

    /// <summary>A name as it can be printed safely: control characters escaped (no terminal escape sequence from a hostile manifest), long names cut.</summary>
    public static string Display(string? name)
    {
        if (name is null)
        {
            return "(no name)";
        }
        var text = new StringBuilder();
        foreach (var c in name.Length > 120 ? name[..120] : name)
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        }
        return name.Length > 120 ? text.Append('…').ToString() : text.ToString();
    }
}
