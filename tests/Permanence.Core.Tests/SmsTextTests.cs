using CsCheck;
using Permanence.Core.Routing;

namespace Permanence.Core.Tests;

/// <summary>
/// SMS bodies in the GSM 03.38 alphabet and at most two segments (2 × 153 septets): what GSM lacks is replaced,
/// long parts are shortened, fixed parts (callback number, ack link, reply code) are never cut.
/// </summary>
public sealed class SmsTextTests
{
    [Theory]
    [InlineData("ê", "e")]
    [InlineData("ç", "c")]
    [InlineData("Ç", "Ç")] // in the basic set, unlike ç
    [InlineData("’", "'")]
    [InlineData("‘", "'")]
    [InlineData("«urgent»", "\"urgent\"")]
    [InlineData("“ok”", "\"ok\"")]
    [InlineData("a – b — c", "a - b - c")]
    [InlineData("…", "...")]
    [InlineData("é è à ù", "é è à ù")] // GSM basic: kept
    [InlineData("É Ä Ö Ñ Ü ä ö ñ ü ì ò", "É Ä Ö Ñ Ü ä ö ñ ü ì ò")]
    [InlineData("Hélène Côté-Leroy", "Hélène Coté-Leroy")]
    [InlineData("À l'hôpital, Noël, maïs, Ève", "A l'hopital, Noel, mais, Eve")]
    [InlineData("€ [x] {y} ~ ^ | \\", "€ [x] {y} ~ ^ | \\")] // the extension table: kept
    [InlineData("line\r\nbreak\ttab", "line  break tab")]
    [InlineData("😀", "?")]
    [InlineData("Appel 📞 urgent", "Appel ? urgent")]
    [InlineData("👩‍⚕️", "?")] // one emoji made of several code points
    [InlineData("🇫🇷", "?")]
    [InlineData("e\u0301", "é")] // a decomposed é is still é
    [InlineData("e\u0302", "e")] // a decomposed ê
    [InlineData("中文", "??")]
    [InlineData("a\u0000b", "a?b")]
    [InlineData("a\u200Bb\u200D", "ab")] // zero-width: nothing to show
    [InlineData("\u0301x", "x")] // a stray accent
    [InlineData("", "")]
    public void ToGsm_Text_IsReducedToTheGsmAlphabet(string text, string expected)
    {
        var gsm = SmsText.ToGsm(text);

        Assert.Equal(expected, gsm);
        Assert.True(gsm.Length == 0 || SmsText.Septets(gsm) > 0, $"'{gsm}' is not GSM-7");
    }

    [Fact]
    public void ToGsm_Null_IsEmpty() => Assert.Equal("", SmsText.ToGsm(null));

    [Fact]
    public void ToGsm_LoneSurrogate_IsAQuestionMarkNotAnException() =>
        Assert.Equal("a?b", SmsText.ToGsm("a\uD800b"));

    [Fact]
    public void ToGsm_AnyText_IsGsmWithoutThrowing()
    {
        Gen.Char.Array[0, 200].Select(chars => new string(chars)).Sample(text =>
        {
            var gsm = SmsText.ToGsm(text);
            Assert.True(gsm.Length == 0 || SmsText.Septets(gsm) > 0, $"'{gsm}' is not GSM-7");
        }, iter: 5_000);
    }

    [Theory]
    [InlineData("abc", 3)]
    [InlineData("é", 1)]
    [InlineData("€", 2)]
    [InlineData("{}", 4)]
    [InlineData("ê", -1)]
    [InlineData("😀", -1)]
    public void Septets_CountsExtensionCharactersTwice(string text, int expected) => Assert.Equal(expected, SmsText.Septets(text));

    private const string AckUrl = "https://permanence.example/api/acks/msg-0199a1b2c3d47e8f9a0b1c2d3e4f5a6b~dr-martin~1791307870~Zr8xK_2-qW9mBn4TtY7c1A";

    [Fact]
    public void Compose_LongTextWithAFixedAckLinkAndCode_FitsTwoSegmentsAndKeepsThemWhole()
    {
        var body = SmsText.Compose(
        [
            ("[URGENT] Urgence", true),
            (new string('x', 5_000) + "ê", true),
            ("rappeler +33612345678", false),
            (string.Concat(Enumerable.Repeat("Douleur thoracique, ", 500)), true),
            ($"Accuser réception: {AckUrl} ou répondre 0427", false),
        ]);

        Assert.InRange(SmsText.Septets(body), 1, SmsText.MaxSeptets);
        Assert.Contains("rappeler +33612345678", body, StringComparison.Ordinal);
        Assert.Contains(AckUrl, body, StringComparison.Ordinal);
        Assert.EndsWith("ou répondre 0427", body, StringComparison.Ordinal);
        Assert.StartsWith("[URGENT] Urgence - ", body, StringComparison.Ordinal);
    }

    [Fact]
    public void Compose_LongNameAndLongText_ShareTheRoomInsteadOfOneGivingAllOfIt()
    {
        // A caller name at its 200-character limit and a 20,000-character text: both keep a part of the room.
        var name = "Mme Durand-" + new string('y', 189);
        var text = "Douleur thoracique " + new string('x', 19_981);

        var body = SmsText.Compose(
        [
            ("[URGENT] Urgence", true),
            (name, true),
            ("rappeler +33612345678", false),
            (text, true),
            ($"Accuser réception: {AckUrl} ou répondre 0427", false),
        ]);

        Assert.InRange(SmsText.Septets(body), SmsText.MaxSeptets - 4, SmsText.MaxSeptets); // the room is used
        var shown = body.Split(" - ");
        Assert.Equal(5, shown.Length);
        Assert.Equal("[URGENT] Urgence", shown[0]);
        Assert.StartsWith("Mme Durand-yyy", shown[1], StringComparison.Ordinal);
        Assert.StartsWith("Douleur thoracique xxx", shown[3], StringComparison.Ordinal);
        Assert.EndsWith("...", shown[1], StringComparison.Ordinal);
        Assert.EndsWith("...", shown[3], StringComparison.Ordinal);
        Assert.Equal(shown[1].Length, shown[3].Length);
    }

    [Fact]
    public void Compose_FixedPartsAloneTooLong_StillFitsTwoSegments()
    {
        var body = SmsText.Compose([(new string('€', 400), false), ("text", true)]);

        Assert.InRange(SmsText.Septets(body), 1, SmsText.MaxSeptets);
    }

    [Fact]
    public void Compose_PartsThatFit_AreJoinedUnchanged()
    {
        var body = SmsText.Compose([("[Standard] Prise de rendez-vous", true), ("Mme Durand", true), ("", true), ("rappeler +33612345678", false)]);

        Assert.Equal("[Standard] Prise de rendez-vous - Mme Durand - rappeler +33612345678", body);
    }

    /// <summary>Text of every kind: plain, accented, GSM extension (two septets each), typographic, emoji, other scripts.</summary>
    private static readonly Gen<string> AnyText = Gen.Frequency(
            (8, Gen.Char["abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,;:!?'-+"]),
            (2, Gen.Char["éèàùêçôîïëÉÈÀÊÇœæ"]),
            (2, Gen.Char["€[]{}~^|\\"]),
            (1, Gen.Char["’«»“”–—…\r\n\t"]),
            (1, Gen.Char['\u4E00', '\u4FFF']))
        .Array[0, 1_500]
        .Select(chars => new string(chars))
        .SelectMany(text => Gen.Int[0, 3].Select(emoji => text + string.Concat(Enumerable.Repeat("😀", emoji))));

    /// <summary>Fixed parts as the templates make them: short (a callback number, an ack link, a code), so they always fit.</summary>
    private static readonly Gen<string> FixedText = Gen.OneOf(
        Gen.Const("rappeler +33612345678"),
        Gen.Const($"Ack: {AckUrl} or reply 0427"),
        Gen.Const("0427"),
        Gen.Char["abcXYZ019é€{ê"].Array[1, 30].Select(chars => new string(chars)));

    /// <summary>
    /// Parts whose fixed ones leave room for the others at their shortest (a separator and at most "..." in
    /// extension characters, 9 septets): the bound the templates keep to.
    /// </summary>
    private static readonly Gen<(string Text, bool Shrinkable)[]> Parts = Gen.Frequency(
            (3, FixedText.Select(t => (t, false))),
            (7, AnyText.Select(t => (t, true))))
        .Array[1, 7]
        .Where(parts => parts.Where(p => !p.Item2).Sum(p => SmsText.Septets(SmsText.ToGsm(p.Item1))) + 9 * parts.Length <= SmsText.MaxSeptets);

    [Fact]
    public void Compose_AnyParts_NeverExceedsTwoSegmentsAndKeepsFixedPartsWhole()
    {
        Parts.Sample(parts =>
        {
            var body = SmsText.Compose(parts);

            var septets = SmsText.Septets(body);
            Assert.InRange(septets, 0, SmsText.MaxSeptets);
            foreach (var (text, _) in parts.Where(p => !p.Shrinkable))
            {
                Assert.Contains(SmsText.ToGsm(text), body, StringComparison.Ordinal);
            }
            var unshortened = string.Join(" - ", parts.Select(p => SmsText.ToGsm(p.Text)).Where(t => t.Length > 0));
            if (SmsText.Septets(unshortened) <= SmsText.MaxSeptets)
            {
                Assert.Equal(unshortened, body);
            }
        }, iter: 3_000);
    }
}
