using System.Security.Cryptography;
using System.Text;
using CsCheck;
using NodaTime;
using Permanence.Core.Routing;

namespace Permanence.Core.Tests;

/// <summary>
/// Acknowledgement tokens <c>{messageId}~{contactId}~{expiry}~{mac}</c> and SMS reply codes: a token is good for its
/// message and contact until it expires, and any change to it, or another key, makes it forged.
/// </summary>
public sealed class AckTokensTests
{
    private const string Key = "ack-signing-key-for-tests-0123456789";
    private const string MessageId = "msg-0199a1b2c3d47e8f9a0b1c2d3e4f5a6b";
    private const string ContactId = "dr-martin";

    private static readonly Instant Now = Instant.FromUtc(2026, 10, 5, 17, 31, 10);
    private static readonly Instant ExpiresAt = Now + AckTokens.Lifetime;

    private static readonly AckTokens Tokens = new(Key);

    [Fact]
    public void Check_IssuedToken_IsValidForItsMessageAndContactUntilItExpires()
    {
        var token = Tokens.Issue(MessageId, ContactId, ExpiresAt);

        Assert.StartsWith($"{MessageId}~{ContactId}~{ExpiresAt.ToUnixTimeSeconds()}~", token, StringComparison.Ordinal);
        Assert.Equal(new AckTokenCheck.Valid(MessageId, ContactId, ExpiresAt), Tokens.Check(token, Now));
        Assert.Equal(new AckTokenCheck.Valid(MessageId, ContactId, ExpiresAt), Tokens.Check(token, ExpiresAt - Duration.FromSeconds(1)));
        Assert.Equal(new AckTokenCheck.Valid(MessageId, ContactId, ExpiresAt), new AckTokens(Key).Check(token, Now));
    }

    [Fact]
    public void Check_AtOrAfterExpiry_IsExpiredNamingTheMessageAndContact()
    {
        var token = Tokens.Issue(MessageId, ContactId, ExpiresAt);

        Assert.Equal(new AckTokenCheck.Expired(MessageId, ContactId), Tokens.Check(token, ExpiresAt));
        Assert.Equal(new AckTokenCheck.Expired(MessageId, ContactId), Tokens.Check(token, ExpiresAt + Duration.FromDays(400)));
    }

    [Fact]
    public void Check_AnotherKey_IsForged()
    {
        var token = Tokens.Issue(MessageId, ContactId, ExpiresAt);

        Assert.IsType<AckTokenCheck.Forged>(new AckTokens(Key + "!").Check(token, Now));
        Assert.IsType<AckTokenCheck.Forged>(new AckTokens("another key altogether").Check(token, Now));
    }

    [Fact]
    public void Check_TokenForAnotherMessageOrContactSpliced_IsForged()
    {
        var mine = Tokens.Issue(MessageId, ContactId, ExpiresAt).Split('~');
        var theirs = Tokens.Issue("msg-other", "dr-roux", ExpiresAt + Duration.FromDays(30)).Split('~');

        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(string.Join('~', mine[0], mine[1], mine[2], theirs[3]), Now));
        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(string.Join('~', theirs[0], mine[1], mine[2], mine[3]), Now));
        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(string.Join('~', mine[0], theirs[1], mine[2], mine[3]), Now));
        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(string.Join('~', mine[0], mine[1], theirs[2], mine[3]), Now));
    }

    public static TheoryData<string?> Garbage() =>
    [
        null,
        "",
        " ",
        "~",
        "~~~",
        "a~b~1~",
        "a~b~1~x",
        "not-a-token",
        $"{MessageId}~{ContactId}~{ExpiresAt.ToUnixTimeSeconds()}",
        $"{MessageId}~{ContactId}~-1~AAAAAAAAAAAAAAAAAAAAAA",
        $"{MessageId}~{ContactId}~99999999999999999999999~AAAAAAAAAAAAAAAAAAAAAA",
        $"../{ContactId}~{ExpiresAt.ToUnixTimeSeconds()}~AAAAAAAAAAAAAAAAAAAAAA",
        new string('a', 301),
        new string('~', 10_000),
        string.Concat(Enumerable.Repeat("a~", 100_000)),
        "😀~😀~1~😀",
        "msg\0~c~1~AAAAAAAAAAAAAAAAAAAAAA",
    ];

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Check_Garbage_IsForged(string? token) => Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(token, Now));

    [Fact]
    public void Check_ValidTokenWithSomethingAround_IsForged()
    {
        var token = Tokens.Issue(MessageId, ContactId, ExpiresAt);

        foreach (var bent in new[] { token + "~", token + "\n", " " + token, token + "=", token + "A", token[..^1], token.ToUpperInvariant(), token + "~" + token })
        {
            Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(bent, Now));
        }
    }

    [Fact]
    public void Check_SignedTokenWithAnExpiryBeyondTheCalendar_IsForgedRatherThanThrown()
    {
        // Only the key holder can make one; still, a number out of NodaTime's range must not throw.
        var payload = $"{MessageId}~{ContactId}~{long.MaxValue}";
        var token = $"{payload}~{MacOf(Key, payload)}";

        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(token, Now));
    }

    [Fact]
    public void Check_SignedTokenWithLeadingZerosInTheExpiry_IsTheSignedStringNotTheNumber()
    {
        var issued = Tokens.Issue(MessageId, ContactId, ExpiresAt).Split('~');
        var padded = string.Join('~', issued[0], issued[1], "0" + issued[2], issued[3]);

        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(padded, Now));
    }

    /// <summary>Ids as accepted from outside (letters, digits, '.', '_', ':', '-'; 1–128), with the expiry any second.</summary>
    private static readonly Gen<string> Ids = Gen.Select(
        Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"],
        Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"].Array[0, 127],
        (first, rest) => first + new string(rest));

    private static readonly Gen<Instant> Expiries = Gen.Long[Instant.FromUtc(2000, 1, 1, 0, 0).ToUnixTimeSeconds(), Instant.FromUtc(2099, 12, 31, 0, 0).ToUnixTimeSeconds()]
        .Select(Instant.FromUnixTimeSeconds);

    /// <summary>What a character may be replaced with: the token alphabet and its neighbours, separators, case twins, non-ASCII.</summary>
    private static readonly Gen<char> Replacements = Gen.Frequency(
        (6, Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:~+/= \n\0"]),
        (1, Gen.Char['\u0080', '\uFFFD']));

    [Fact]
    public void Check_OneCharacterChangedAnywhere_IsForged()
    {
        Gen.Select(Ids, Ids, Expiries, Gen.Int[0, 10_000], Replacements)
            .Sample((messageId, contactId, expiresAt, at, replacement) =>
            {
                var token = Tokens.Issue(messageId, contactId, expiresAt);
                var index = at % token.Length;
                if (token[index] == replacement)
                {
                    return true;
                }
                var tampered = string.Concat(token.AsSpan(0, index), replacement.ToString(), token.AsSpan(index + 1));
                return Tokens.Check(tampered, Instant.FromUnixTimeSeconds(expiresAt.ToUnixTimeSeconds() - 60)) is AckTokenCheck.Forged;
            }, iter: 20_000);
    }

    [Fact]
    public void Check_OneCharacterChangedInEachPart_IsForged()
    {
        var token = Tokens.Issue(MessageId, ContactId, ExpiresAt);
        var parts = token.Split('~');
        var starts = new[] { 0, parts[0].Length + 1, parts[0].Length + parts[1].Length + 2, token.Length - parts[3].Length };

        foreach (var start in starts)
        {
            foreach (var offset in new[] { 0, 1 })
            {
                var index = start + offset;
                var flipped = token[index] == '1' ? '2' : token[index] == 'a' ? 'b' : '1';
                var tampered = string.Concat(token.AsSpan(0, index), flipped.ToString(), token.AsSpan(index + 1));
                Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(tampered, Now));
            }
        }
        // The mac's last character carries only 2 of the 128 bits: it is compared as text all the same.
        var last = token[^1] == 'A' ? 'B' : 'A';
        Assert.IsType<AckTokenCheck.Forged>(Tokens.Check(token[..^1] + last, Now));
    }

    [Fact]
    public void ReplyCode_IsFourDigits_StableForAMessageAndContact_UnderOneKey()
    {
        var code = Tokens.ReplyCode(MessageId, ContactId);

        Assert.Matches("^[0-9]{4}\\z", code);
        Assert.Equal(code, Tokens.ReplyCode(MessageId, ContactId));
        Assert.Equal(code, new AckTokens(Key).ReplyCode(MessageId, ContactId));
    }

    [Fact]
    public void ReplyCode_AcrossMessagesContactsAndKeys_MostlyDiffers()
    {
        var messages = Enumerable.Range(0, 1000).Select(i => Tokens.ReplyCode($"msg-{i:D6}", ContactId)).ToArray();
        Assert.All(messages, c => Assert.Matches("^[0-9]{4}\\z", c));
        // 1,000 draws out of 10,000 codes: about 952 distinct expected; all alike would be a constant.
        Assert.InRange(messages.Distinct().Count(), 900, 1000);
        Assert.InRange(messages.Count(c => c.StartsWith('0')), 50, 160); // leading zeros kept, digits spread

        var contacts = Enumerable.Range(0, 200).Select(i => Tokens.ReplyCode(MessageId, $"contact-{i}")).Distinct().Count();
        Assert.InRange(contacts, 180, 200);

        var keys = Enumerable.Range(0, 200).Select(i => new AckTokens($"key-{i}").ReplyCode(MessageId, ContactId)).Distinct().Count();
        Assert.InRange(keys, 180, 200);
    }

    [Fact]
    public void Constructor_EmptyKey_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => new AckTokens(""));
        Assert.Throws<ArgumentException>(() => new AckTokens(null!));
    }

    private static string MacOf(string key, string payload)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes($"ack~{payload}"));
        return Convert.ToBase64String(mac, 0, 16).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
