using System.Text.Encodings.Web;
using System.Text.Unicode;

namespace Permanence.Core.Common;

/// <summary>HTML encoding that escapes markup but keeps text readable: "Althéa" stays as typed, not "Alth&amp;#233;a".</summary>
public static class Html
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Create(UnicodeRanges.All);

    public static string Encode(string? value) => Encoder.Encode(value ?? "");
}
