using CsCheck;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Fuzz;

public enum FieldKind
{
    Text,
    Id,
    ClientId,
    Provider,
    Instant,
    LocalDate,
    LocalTime,
    UnixSeconds,
    Rfc2822,
    Phone,
    Enum,
    Number,
    Url,
    Email,
    Token,
    Array,
    Object,
    SmsFrom,
    SmsBody,
}

/// <summary>A member of a route's valid body that mutations aim at; <see cref="Weight"/> says how often.</summary>
public sealed record Field(string Path, FieldKind Kind, int Weight, params string[] Values)
{
    public bool IsText => Kind is not (FieldKind.Number or FieldKind.UnixSeconds or FieldKind.Array or FieldKind.Object);
}

/// <summary>
/// CsCheck generators of requests, mostly near-valid: each case is the route's valid request with a few changes
/// (a field set to an odd value or removed, a header wrong, a path parameter bent, the body resized or re-encoded).
/// </summary>
public static class FuzzGenerators
{
    public const int BodyCap = 256 * 1024;

    private static Gen<FuzzValue> Strings(string kind, params string[] values) => Gen.OneOf(values.Select(v => FuzzValue.Text(v, kind)).ToArray());

    private static Gen<FuzzValue> Values(params FuzzValue[] values) => Gen.OneOf(values);

    /// <summary>Odd strings any text field may receive: encodings, markup, control characters, long runs.</summary>
    public static readonly Gen<FuzzValue> GenericText = Gen.Frequency(
        (6, Strings("odd text", "", " ", "x", "Ünïcödé — ça marche ✓", "📞😀👩‍⚕️", "<>&'+\"", "<script>alert(1)</script>", "a\u0000b", "\u0007bell",
            "line\nbreak", "trailing\n", "\t", "\u202Eevil", "\u200B", "\uFEFFbom", "lone \uD800 surrogate", "null", "NaN", "' or '1' eq '1",
            "../../etc/passwd", "%2F%2E%2E", "\\u0000", "{\"a\":1}")),
        (2, Gen.OneOf(1_000, 10_000, 40_000, 70_000).Select(n => FuzzValue.Text(new string('x', n), $"{n} ASCII chars"))),
        (2, Gen.OneOf(5_000, 40_000, 90_000).Select(n => FuzzValue.Text(string.Concat(Enumerable.Repeat("é", n)), $"{n} × é"))),
        (1, Gen.OneOf(5_000, 30_000).Select(n => FuzzValue.Text(string.Concat(Enumerable.Repeat("😀", n)), $"{n} × emoji"))),
        (1, Gen.OneOf(5_000, 30_000).Select(n => FuzzValue.Text(new string('<', n), $"{n} × <"))));

    /// <summary>Values of the wrong JSON type for a field.</summary>
    public static readonly Gen<FuzzValue> WrongType = Values(
        FuzzValue.Null, new("number", 0L), new("number", -1L), new("number", 1.5), new("number", 1e308), new("number", long.MaxValue),
        new("boolean", true), new("boolean", false), FuzzValue.RawJson("[]", "array"), FuzzValue.RawJson("{}", "object"),
        FuzzValue.RawJson("[\"a\"]", "array"), FuzzValue.RawJson("{\"a\":1}", "object"), FuzzValue.RawJson("[null]", "array"),
        FuzzValue.RawJson("1e400", "number out of range"), FuzzValue.RawJson("-0", "number"), FuzzValue.RawJson("\"\\ud800\"", "escaped lone surrogate"));

    /// <summary>Deeply nested arrays or objects (the JSON reader's depth limit is 64).</summary>
    public static readonly Gen<FuzzValue> Deep = Gen.OneOf(10, 63, 64, 65, 200, 5_000).SelectMany(depth => Gen.OneOf(
        FuzzValue.RawJson(new string('[', depth) + new string(']', depth), $"arrays nested {depth} deep"),
        FuzzValue.RawJson(string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth), $"objects nested {depth} deep")));

    private static readonly Gen<FuzzValue> Ids = Strings("id", "fz-x", "", "a", new string('a', 64), new string('a', 65), new string('a', 128), new string('a', 129), new string('a', 300),
        "abc\n", "abc\r\n", "a b", "a/b", "a%2Fb", "..", "ÀÉ", "😀", "a\u0000", "-abc", "ABC", "a:b", "a#b", "a?b", "x' or '1' eq '1", "abc\u0085");

    private static readonly Gen<FuzzValue> Instants = Strings("timestamp", "2026-10-05T07:31:10Z", "0001-01-01T00:00:00Z", "1600-12-31T23:59:59Z",
        "1601-01-01T00:00:00Z", "1000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59.999999999Z", "9999-12-31T20:00:00-05:00",
        "0001-01-01T00:00:00+01:00", "3000-01-01T00:00:00Z", "2200-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2026-10-05T07:31:10+14:00",
        "2026-10-05T07:31:10-12:00", "2026-10-05T07:31:10+02:00", "2026-10-05T07:31:10.123Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-10-05", "2026-10-05T07:31:10", "2026-10-05 07:31:10Z", "20261005T073110Z", "yesterday", "", "-0001-01-01T00:00:00Z",
        "+12026-10-05T07:31:10Z", "2026-10-05T24:00:00Z", "2026-10-05T07:31:60Z", "2026-10-05T07:31:10,5Z", "2026-10-05T07:31:10+25:00",
        "2026-10-05T07:31:10Z\n", "2026-10-05T17:31:00Z", "2026-10-05T17:40:00Z");

    private static readonly Gen<FuzzValue> LocalDates = Strings("local date", "2026-10-01", "0001-01-01", "1600-12-31", "1601-01-01", "9999-12-31",
        "2026-02-29", "2028-02-29", "2026-10-01T00:00", "01/10/2026", "", "2026-1-1", "+10000-01-01", "2026-10-01\n", "2030-01-01");

    private static readonly Gen<FuzzValue> LocalTimes = Strings("local time", "08:30", "00:00", "24:00", "23:59", "8:30", "08:30:00", "25:00", "18:30\n",
        "", "midnight", "-01:00", "12:00:00.5", "08h30");

    private static readonly Gen<FuzzValue> UnixSeconds = Values(new("unix seconds", 1791183000L), new("unix seconds", 0L), new("unix seconds", -1L),
        new("unix seconds", 1L), new("unix seconds", 32503679999L), new("unix seconds", 32503680000L), new("unix seconds", 253402300799L),
        new("unix seconds", -62135596800L), new("unix seconds", -11644473600L), new("unix seconds", long.MaxValue), new("unix seconds", long.MinValue),
        new("unix seconds", 1791183000.5), new("unix seconds", 1e20), FuzzValue.Text("1791183000", "unix seconds as text"), FuzzValue.Null,
        FuzzValue.RawJson("1791183000e0", "unix seconds with exponent"), FuzzValue.RawJson("17911830000000000000000", "unix seconds beyond 64 bits"));

    private static readonly Gen<FuzzValue> Rfc2822 = Strings("twilio date", "Mon, 05 Oct 2026 07:31:10 +0000", "Mon, 01 Jan 0001 00:00:00 +0000",
        "Fri, 31 Dec 1600 23:59:59 +0000", "Sat, 01 Jan 1601 00:00:00 +0000", "Fri, 31 Dec 9999 23:59:59 +0000", "Fri, 31 Dec 9999 23:59:59 -1400",
        "Mon, 01 Jan 0001 00:00:00 +1400", "Mon, 05 Oct 2026 07:31:10 +1400", "Mon, 05 Oct 2026 07:31:10 GMT", "Mon, 05 Oct 2026 07:31:10 CEST",
        "05 Oct 2026 07:31:10", "Mon, 32 Oct 2026 07:31:10 +0000", "2026-10-05T07:31:10Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
        "1600-01-01T00:00:00Z", "not a date", "", "1791183000", "Tue, 06 Oct 2026 07:31:10 +0000");

    private static Gen<FuzzValue> Phones(FuzzWorld world) => Strings("phone", world.ClientNumber, world.OtherNumber, world.FreeNumber,
        "0" + world.ClientNumber[3..], "+33 6 12 34 56 78", "06 12 34 56 78", "anonymous", "", "+", "+999999999999999", "1234",
        "123456789012345678901234567890", "٠٦١٢٣٤٥٦٧٨", "+33 (0)1 87 00 00 00", "tel:" + world.ClientNumber, world.ClientNumber + "\n", "📞",
        world.ClientNumber.Replace("+33", "0033", StringComparison.Ordinal), world.PutNumbers[1]);

    /// <summary>Senders of an inbound SMS: the number the run's reply codes went to, near misses, and numbers no code went to.</summary>
    private static Gen<FuzzValue> SmsFroms(FuzzWorld world) => Gen.Frequency(
        (3, Strings("sms sender", world.SmsPhone, world.SmsPhone[1..], "00" + world.SmsPhone[1..], world.SmsPhone + "\n", " " + world.SmsPhone,
            world.SmsPhone + "' or PartitionKey ne '", "+33 1 87 " + world.SmsPhone[6..], "+" + world.SmsPhone, "+0187000000", world.SmsPhone + "0000",
            "anonymous", "", " ", "+", "😀", world.FreeNumber)),
        (1, Phones(world)));

    /// <summary>
    /// Texts of an inbound SMS: the run's reply codes in the forms docs/openapi.json gives ("1234", "OK 1234") and near
    /// misses, lookalike digits, and long runs of whitespace around a code (the reply pattern's backtracking).
    /// </summary>
    private static Gen<FuzzValue> SmsBodies(FuzzWorld world) => Gen.Frequency(
        (4, Strings("sms text", $"OK {world.SmsReplyCodes[0]}", world.SmsReplyCodes[1], $"ok{world.SmsReplyCodes[0]}", $"Ok {world.SmsReplyCodes[1]} !",
            $"{world.SmsReplyCodes[0]}\r\n", $"OK\u00A0{world.SmsReplyCodes[1]}", $"OK OK {world.SmsReplyCodes[0]}", $"{world.SmsReplyCodes[0]}0",
            world.SmsReplyCodes[0][..3], $"\u0000{world.SmsReplyCodes[1]}", $"{world.SmsReplyCodes[1]}\u0000", "1234", "OK 1234", "0000", "9999.",
            "１２３４", "٠١٢٣", "OK 12 34", "OK", "ok ok", "", " ", "\n", "STOP", "Oui, je m'en occupe ✓", "<Response><Hangup/></Response>", "]]>&amp;")),
        (1, Gen.OneOf(1_000, 20_000, 60_000).SelectMany(n => Gen.OneOf(
            FuzzValue.Text(world.SmsReplyCodes[0] + new string(' ', n) + "x", $"code, {n} spaces, x"),
            FuzzValue.Text(world.SmsReplyCodes[0] + new string('\t', n) + "!" + new string('\t', n) + "x", $"code, {n} tabs, !, {n} tabs, x"),
            FuzzValue.Text(new string(' ', n) + "OK" + new string(' ', n) + "123x", $"{n} spaces, OK, {n} spaces, 123x"),
            FuzzValue.Text("OK " + world.SmsReplyCodes[1] + new string('\n', n), $"OK code then {n} line breaks")))));

    private static Gen<FuzzValue> ClientIds(FuzzWorld world) => Strings("client id", world.Client, world.OtherClient, world.PutClients[0],
        $"fz{world.Run}-nobody", "UPPER", "", new string('a', 64), new string('a', 65), "a--b", "-a", "a-", "é", world.Client + "\n", "a b", "*");

    private static readonly Gen<FuzzValue> Numbers = Values(new("number", 0L), new("number", -1L), new("number", 1_000_000_000L), new("number", 0.5),
        new("number", 1.2), new("number", 1e308), FuzzValue.Text("10", "number as text"), FuzzValue.RawJson("1e400", "number out of range"),
        new("number", 10L), new("number", 0.0001));

    private static readonly Gen<FuzzValue> Urls = Strings("url", "https://crm.example/hook", "http://127.0.0.1:9000/x", "http://169.254.169.254/latest",
        "ftp://x.example/", "javascript:alert(1)", "not a url", "", "http://[::1]/", "https://" + new string('a', 3000) + ".example/", "https://crm.example/é");

    private static readonly Gen<FuzzValue> Emails = Strings("email", "a@b.example", "not-an-email", "a@", "é@é.fr", "<a@b>", "", "a@b.example\n");

    private static readonly Gen<FuzzValue> Tokens = Values(FuzzValue.Text(TestKeys.AircallToken, "token"), FuzzValue.Text("forged", "token"),
        FuzzValue.Text("", "token"), FuzzValue.Text(TestKeys.AircallToken + "\n", "token"), new("token", 1234L), FuzzValue.Null);

    private static readonly Gen<FuzzValue> Arrays = Values(FuzzValue.RawJson("[]", "array"), FuzzValue.RawJson("[null]", "array"),
        FuzzValue.RawJson("[1,2]", "array"), FuzzValue.RawJson("[\"x\"]", "array"),
        FuzzValue.RawJson("[" + string.Join(',', Enumerable.Repeat("\"x\"", 2000)) + "]", "array of 2000 strings"));

    private static readonly Gen<FuzzValue> Objects = Values(FuzzValue.RawJson("{}", "object"), FuzzValue.RawJson("{\"x\":null}", "object"));

    private static Gen<FuzzValue> KindValues(Field field, FuzzWorld world) => field.Kind switch
    {
        FieldKind.Text => GenericText,
        FieldKind.Id => Ids,
        FieldKind.ClientId => ClientIds(world),
        FieldKind.Provider => Strings("provider", "pbx", "twilio", "aircall", "PBX", "pbx#1", "", "a/b", new string('p', 65), "pbx\n"),
        FieldKind.Instant => Instants,
        FieldKind.LocalDate => LocalDates,
        FieldKind.LocalTime => LocalTimes,
        FieldKind.UnixSeconds => UnixSeconds,
        FieldKind.Rfc2822 => Rfc2822,
        FieldKind.Phone => Phones(world),
        FieldKind.Enum => Strings("enum", [.. field.Values, .. field.Values.Select(v => v.ToUpperInvariant()), .. field.Values.Select(v => v + "\n"), "", "unknown"]),
        FieldKind.Number => Numbers,
        FieldKind.Url => Urls,
        FieldKind.Email => Emails,
        FieldKind.Token => Tokens,
        FieldKind.Array => Arrays,
        FieldKind.Object => Objects,
        FieldKind.SmsFrom => SmsFroms(world),
        FieldKind.SmsBody => SmsBodies(world),
        _ => throw new InvalidOperationException(),
    };

    /// <summary>Mostly values of the field's own kind (edge dates, odd ids, other clients' ids), so requests get past parsing.</summary>
    private static Gen<FuzzValue> ValuesFor(Field field, FuzzWorld world) => Gen.Frequency(
        (10, KindValues(field, world)), (2, GenericText), (1, WrongType), (1, Deep));

    public static IReadOnlyList<Field> Fields(FuzzRoute route) => route switch
    {
        FuzzRoute.PutClient =>
        [
            new("name", FieldKind.Text, 3), new("timeZone", FieldKind.Enum, 3, "Europe/Paris", "America/Martinique", "UTC", "Mars/Olympus_Mons", "Etc/GMT+14"),
            new("locale", FieldKind.Enum, 2, "fr-FR", "en-GB", "xx", "fr"), new("effectiveFrom", FieldKind.LocalDate, 4), new("numbers", FieldKind.Array, 2),
            new("numbers[0]", FieldKind.Phone, 4), new("numbers[1]", FieldKind.Phone, 1), new("calendar.holidays", FieldKind.Enum, 1, "FR", "US", "XX"),
            new("calendar.closures[0].from", FieldKind.LocalDate, 2), new("calendar.closures[0].to", FieldKind.LocalDate, 2),
            new("calendar.closures[0].label", FieldKind.Text, 1), new("calendar.bands[0].from", FieldKind.LocalTime, 3),
            new("calendar.bands[0].to", FieldKind.LocalTime, 2), new("calendar.bands[0].days", FieldKind.Array, 2),
            new("calendar.bands[0].days[0]", FieldKind.Enum, 1, "Mon", "Sun", "Lundi"), new("calendar.bands[1].name", FieldKind.Text, 1),
            new("calendar.otherBand", FieldKind.Text, 1), new("contacts[0].id", FieldKind.Id, 2), new("contacts[0].email", FieldKind.Email, 2),
            new("contacts[1].phone", FieldKind.Phone, 2), new("contacts[3].webhook.url", FieldKind.Url, 2), new("contacts[3].webhook.secret", FieldKind.Text, 1),
            new("onCall[0].contact", FieldKind.Id, 1), new("onCall[0].from", FieldKind.LocalTime, 1), new("onCall[0].days", FieldKind.Array, 1),
            new("onCallOverrides", FieldKind.Array, 1), new("scenarios[0].id", FieldKind.Id, 2),
            new("scenarios[0].priority", FieldKind.Enum, 1, "standard", "important", "critical"), new("scenarios[0].requiredFields", FieldKind.Array, 1),
            new("keywords[0].match", FieldKind.Text, 2), new("escalation.critical.steps[0].ackWithinMinutes", FieldKind.Number, 2),
            new("escalation.standard.steps[0].notify", FieldKind.Array, 1), new("escalation.unknownScenarioPriority", FieldKind.Enum, 1, "standard", "important", "critical"),
            new("sla.targets[0].answerRate", FieldKind.Number, 2), new("sla.shortAbandonSeconds", FieldKind.Number, 1),
            new("sla.penalties.capEuros", FieldKind.Number, 1), new("retention.months", FieldKind.Number, 1), new("calendar", FieldKind.Object, 1),
            new("contacts", FieldKind.Array, 1), new("reportRecipients", FieldKind.Array, 1),
        ],
        FuzzRoute.Twilio =>
        [
            new("CallSid", FieldKind.Id, 4), new("CallStatus", FieldKind.Enum, 4, "ringing", "in-progress", "completed", "no-answer", "busy", "failed", "canceled", "queued", "initiated"),
            new("Direction", FieldKind.Enum, 2, "inbound", "outbound-api", "outbound-dial"), new("From", FieldKind.Phone, 3), new("To", FieldKind.Phone, 4),
            new("Timestamp", FieldKind.Rfc2822, 6), new("AccountSid", FieldKind.Id, 1), new("CallDuration", FieldKind.Text, 1),
        ],
        FuzzRoute.Aircall =>
        [
            new("resource", FieldKind.Enum, 2, "call", "user", "number"), new("event", FieldKind.Enum, 3, "call.created", "call.answered", "call.hungup", "call.ended", "call.voicemail_left", "call.transferred"),
            new("token", FieldKind.Token, 1), new("timestamp", FieldKind.UnixSeconds, 3), new("data", FieldKind.Object, 1), new("data.id", FieldKind.Id, 3),
            new("data.direction", FieldKind.Enum, 2, "inbound", "outbound"), new("data.started_at", FieldKind.UnixSeconds, 4),
            new("data.answered_at", FieldKind.UnixSeconds, 3), new("data.ended_at", FieldKind.UnixSeconds, 3), new("data.raw_digits", FieldKind.Phone, 3),
            new("data.number.digits", FieldKind.Phone, 4), new("data.number", FieldKind.Object, 1), new("data.user.id", FieldKind.Id, 2),
            new("data.missed_call_reason", FieldKind.Enum, 2, "short_abandoned", "abandoned_in_ivr", "agents_did_not_answer", "no_available_agent"),
            new("data.voicemail", FieldKind.Url, 1),
        ],
        FuzzRoute.TwilioSms =>
        [
            new("From", FieldKind.SmsFrom, 6), new("Body", FieldKind.SmsBody, 10), new("To", FieldKind.Phone, 2), new("MessageSid", FieldKind.Id, 2),
            new("AccountSid", FieldKind.Id, 1), new("NumMedia", FieldKind.Text, 1), new("SmsStatus", FieldKind.Enum, 1, "received", "delivered", "failed"),
        ],
        FuzzRoute.PostCalls =>
        [
            new("provider", FieldKind.Provider, 2), new("callId", FieldKind.Id, 4), new("clientId", FieldKind.ClientId, 6),
            new("direction", FieldKind.Enum, 2, "inbound", "outbound"), new("from", FieldKind.Phone, 3), new("to", FieldKind.Phone, 4),
            new("startedAt", FieldKind.Instant, 8), new("answeredAt", FieldKind.Instant, 5), new("endedAt", FieldKind.Instant, 5),
            new("outcome", FieldKind.Enum, 3, "answered", "abandoned", "missed", "voicemail", "busy", "failed"), new("agentId", FieldKind.Id, 2),
        ],
        FuzzRoute.PostMessage =>
        [
            new("clientId", FieldKind.ClientId, 5), new("callId", FieldKind.Id, 2), new("scenario", FieldKind.Enum, 3, "urgence", "rdv", "resultats", "livraison"),
            new("caller", FieldKind.Object, 1), new("caller.name", FieldKind.Text, 2), new("caller.phone", FieldKind.Phone, 3), new("caller.email", FieldKind.Email, 1),
            new("fields", FieldKind.Object, 1), new("fields.symptoms", FieldKind.Text, 3), new("fields.preferredDate", FieldKind.Text, 1),
            new("fields.a b", FieldKind.Text, 1), new("text", FieldKind.Text, 7), new("operatorId", FieldKind.Id, 2), new("takenAt", FieldKind.Instant, 8),
        ],
        FuzzRoute.ConfirmOffboarding => [new("manifestSha256", FieldKind.Text, 6)],
        _ => [],
    };

    /// <summary>Members that hold the same kind of time and are checked against each other (started ≤ answered ≤ ended).</summary>
    private static (string[] Paths, Gen<FuzzValue> Values)? TimeGroup(FuzzRoute route) => route switch
    {
        FuzzRoute.PostCalls => (["startedAt", "answeredAt", "endedAt"], Instants),
        FuzzRoute.Aircall => (["timestamp", "data.started_at", "data.answered_at", "data.ended_at"], UnixSeconds),
        FuzzRoute.PutClient => (["calendar.closures[0].from", "calendar.closures[0].to"], LocalDates),
        _ => null,
    };

    private static readonly string[] Fills = ["x", "é", "€", "😀", "<", "\""];
    private static readonly int[] PadTargets = [BodyCap - 1, BodyCap, BodyCap + 1, BodyCap - 100, BodyCap + 1000, BodyCap * 3 / 4, BodyCap * 2];

    private static readonly byte[][] InvalidSequences = [[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xC0, 0xAF], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80]];

    private static Gen<Field> WeightedField(IReadOnlyList<Field> fields) => Gen.Frequency(fields.Select(f => (f.Weight, f)).ToArray());

    private static readonly string[] UnknownMembers = ["extra", "__proto__", "$type", "constructor", "ClientId", "id", "PartitionKey", "odata.etag"];

    private static Gen<Mutation> Mutations(FuzzRoute route, FuzzWorld world)
    {
        var fields = Fields(route);
        var field = WeightedField(fields);
        var textField = WeightedField(fields.Where(f => f.IsText).ToList());
        var item = Gen.Int[0, 2];
        var timeGroup = TimeGroup(route);
        var setMany = timeGroup is { } group
            ? group.Values.Select(item, (v, i) => (Mutation)new Mutation.SetMany(group.Paths, v, i))
            : field.SelectMany(f => ValuesFor(f, world).Select(item, (v, i) => (Mutation)new Mutation.Set(f.Path, v, i)));
        return Gen.Frequency(
            (10, setMany),
            (66, field.SelectMany(f => ValuesFor(f, world).Select(item, (v, i) => (Mutation)new Mutation.Set(f.Path, v, i)))),
            (10, field.Select(item, (f, i) => (Mutation)new Mutation.Remove(f.Path, i))),
            (3, Gen.OneOf(UnknownMembers).Select(GenericText, item, (name, v, i) => (Mutation)new Mutation.AddMember(name, v, i))),
            (3, field.SelectMany(f => ValuesFor(f, world).Select(item, (v, i) => (Mutation)new Mutation.Duplicate(f.Path, v, i)))),
            (2, Gen.Frequency((2, WrongType), (1, Deep), (1, GenericText)).Select(v => (Mutation)new Mutation.ReplaceBody(v))),
            (11, textField.Select(Gen.OneOf(PadTargets), Gen.OneOf(Fills), item, (f, target, fill, i) => (Mutation)new Mutation.Pad(f.Path, target, fill, i))),
            (5, textField.Select(Gen.OneOf(InvalidSequences), item, (f, bytes, i) => (Mutation)new Mutation.InvalidUtf8(f.Path, bytes, i))));
    }

    private static readonly string[] OddIdempotencyKeys = ["", " ", "\t", new string('k', 200), new string('k', 201), "clé-✓", "😀", "<>&'+", "a,b", new string('x', 5000), "null"];

    private static readonly string[] Queries = ["?site=paris", "?a=%ZZ", "?%00=1", "?x=" + new string('y', 3000), "?CallStatus=completed&x=%C3%A9", "?&&&", "?a=1&a=2", "?"];

    private static readonly AuthChoice[] WrongAuth = Enum.GetValues<AuthChoice>().Where(a => a is not (AuthChoice.Valid or AuthChoice.ValidOtherKey)).ToArray();

    /// <summary>Control characters at the end of an id (which a regex's $ lets through) and over-long ids come up more often.</summary>
    private static readonly Gen<PathKind> PathKinds = Gen.Frequency(Enum.GetValues<PathKind>()
        .Select(k => (k is PathKind.TrailingNewline or PathKind.TrailingCrLf or PathKind.ControlChar or PathKind.TooLong65 or PathKind.TooLong129 ? 3 : 1, k)).ToArray());

    public static Gen<FuzzCase> For(FuzzRoute route, FuzzWorld world)
    {
        var parameters = route.Template().Count(c => c == '{');
        var auth = route.UsesApiKey()
            ? Gen.Frequency((74, Gen.Const(AuthChoice.Valid)), (12, Gen.Const(AuthChoice.ValidOtherKey)), (14, Gen.OneOf(WrongAuth)))
            : Gen.Frequency((90, Gen.Const(AuthChoice.Valid)), (10, Gen.OneOf(Enum.GetValues<AuthChoice>())));
        var webhook = route is FuzzRoute.Twilio or FuzzRoute.Aircall or FuzzRoute.TwilioSms
            ? Gen.Frequency((86, Gen.Const(WebhookAuth.Valid)), (14, Gen.OneOf(WebhookAuth.Missing, WebhookAuth.Forged, WebhookAuth.SignedForAnotherUrl, WebhookAuth.Garbage)))
            : Gen.Const(WebhookAuth.Valid);
        var contentType = route.HasBody()
            ? Gen.Frequency((92, Gen.Const(ContentTypeChoice.Right)), (8, Gen.OneOf(Enum.GetValues<ContentTypeChoice>().Skip(1).ToArray())))
            : Gen.Const(ContentTypeChoice.Right);
        var encoding = route.HasBody()
            ? Gen.Frequency((95, Gen.Const(BodyEncoding.Utf8)), (5, Gen.OneOf(BodyEncoding.Utf8Bom, BodyEncoding.Utf16, BodyEncoding.Truncated, BodyEncoding.Empty)))
            : Gen.Const(BodyEncoding.Utf8);
        var batch = route == FuzzRoute.PostCalls
            ? Gen.Frequency((80, Gen.Const(0)), (15, Gen.Int[1, 3]), (2, Gen.Const(-1)), (3, Gen.Const(-2)))
            : Gen.Const(0);
        var idempotency = route == FuzzRoute.PostMessage
            ? Gen.Frequency((55, Gen.Const((string?)null)), (30, Gen.OneOf(world.IdempotencyKeys).Select(k => (string?)k)), (15, Gen.OneOf(OddIdempotencyKeys).Select(k => (string?)k)))
            : Gen.Const((string?)null);
        var query = Gen.Frequency((90, Gen.Const((string?)null)), (10, Gen.OneOf(Queries).Select(q => (string?)q)));
        var pathMutations = parameters == 0
            ? Gen.Const((IReadOnlyList<PathMutation>)Array.Empty<PathMutation>())
            : Gen.Frequency(
                (65, Gen.Const((IReadOnlyList<PathMutation>)Array.Empty<PathMutation>())),
                (35, Gen.Int[0, parameters - 1].Select(PathKinds, (p, k) => (IReadOnlyList<PathMutation>)[new PathMutation(p, k)])));
        // A bent path parameter mostly comes with an otherwise valid body, so that the parameter is what gets tested.
        var mutationCount = Gen.Frequency((10, Gen.Const(0)), (55, Gen.Const(1)), (25, Gen.Const(2)), (10, Gen.Const(3)));
        var withPath = Gen.Frequency((60, Gen.Const(0)), (40, Gen.Const(1)));
        var mutation = route.HasBody() ? Mutations(route, world) : null!;
        var cases = pathMutations.SelectMany(paths => (route.HasBody() ? paths.Count > 0 ? withPath : mutationCount : Gen.Const(0))
            .SelectMany(n => mutation.Array[n]).Select(muts => (paths, (IReadOnlyList<Mutation>)muts)));

        var generated = Gen.Select(Gen.Int[0, 63], Gen.Int[0, 63], auth, webhook, contentType, encoding, batch, idempotency, query, cases,
            (pool, variant, a, w, ct, enc, b, idem, q, pm) => new FuzzCase
            {
                Route = route,
                Pool = pool,
                Variant = variant,
                Auth = a,
                Webhook = w,
                ContentType = ct,
                Encoding = enc,
                Batch = b,
                IdempotencyKey = idem,
                Query = q,
                PathMutations = pm.paths,
                Mutations = pm.Item2,
            });
        // Drawn after the rest, and only for acknowledgement links: the other routes' cases are the same for a seed as before.
        return route.IsAck()
            ? generated.Select(Gen.Frequency((40, Gen.Const((string?)null)), (60, Gen.OneOf(Accepts).Select(a => (string?)a))), (c, accept) => c with { Accept = accept })
            : generated;
    }

    /// <summary>
    /// Accept headers of a link opened in a browser (text/html: pages, errors included), of API clients (JSON and
    /// problems), of mail scanners and link previews, and explicit refusals of HTML (q=0).
    /// </summary>
    private static readonly string[] Accepts =
    [
        "text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "TEXT/HTML", "application/json", "application/problem+json",
        "*/*", "text/*", "application/xhtml+xml", "image/avif,image/webp,*/*", "text/plain", "", "text/html;q=0", "application/json, text/html;q=0",
        "application/json;q=0.9, text/html;q=0.1", "text/html; charset=utf-8", "x" + new string(',', 2_000),
    ];
}
