using System.Text;
using System.Text.Json.Nodes;

namespace Permanence.Integration.Tests.Fuzz;

/// <summary>Every route of the HTTP contract, as both hosts declare it (method and template under /api).</summary>
public enum FuzzRoute
{
    Health,
    PutClient,
    GetClient,
    Twilio,
    Aircall,
    PostCalls,
    GetCall,
    PostMessage,
    GetMessage,
    HealthLive,
    GetAck,
    PostAck,
    TwilioSms,
    RunSlaReportJob,
    ListReports,
    GetReport,
    RebuildMonthIndexes,
    RunExportJob,
    ListExports,
    GetExport,
    OffboardClient,
    GetOffboarding,
    ConfirmOffboarding,
}

public static class FuzzRoutes
{
    public static readonly IReadOnlyList<(FuzzRoute Route, string Method, string Template)> All =
    [
        (FuzzRoute.Health, "GET", "health"),
        (FuzzRoute.PutClient, "PUT", "clients/{clientId}"),
        (FuzzRoute.GetClient, "GET", "clients/{clientId}"),
        (FuzzRoute.Twilio, "POST", "telephony/twilio"),
        (FuzzRoute.Aircall, "POST", "telephony/aircall"),
        (FuzzRoute.PostCalls, "POST", "calls"),
        (FuzzRoute.GetCall, "GET", "calls/{provider}/{callId}"),
        (FuzzRoute.PostMessage, "POST", "messages"),
        (FuzzRoute.GetMessage, "GET", "messages/{id}"),
        (FuzzRoute.HealthLive, "GET", "health/live"),
        (FuzzRoute.GetAck, "GET", "acks/{token}"),
        (FuzzRoute.PostAck, "POST", "acks/{token}"),
        (FuzzRoute.TwilioSms, "POST", "telephony/twilio/sms"),
        (FuzzRoute.RunSlaReportJob, "POST", "admin/jobs/sla-report"),
        (FuzzRoute.ListReports, "GET", "clients/{clientId}/reports"),
        (FuzzRoute.GetReport, "GET", "clients/{clientId}/reports/{period}"),
        (FuzzRoute.RebuildMonthIndexes, "POST", "admin/jobs/rebuild-indexes"),
        (FuzzRoute.RunExportJob, "POST", "admin/jobs/export"),
        (FuzzRoute.ListExports, "GET", "clients/{clientId}/exports"),
        (FuzzRoute.GetExport, "GET", "clients/{clientId}/exports/{period}"),
        (FuzzRoute.OffboardClient, "POST", "admin/clients/{clientId}/offboard"),
        (FuzzRoute.GetOffboarding, "GET", "admin/clients/{clientId}/offboard"),
        (FuzzRoute.ConfirmOffboarding, "POST", "admin/clients/{clientId}/offboard/confirm"),
    ];

    public static string Method(this FuzzRoute route) => All.Single(r => r.Route == route).Method;

    public static string Template(this FuzzRoute route) => All.Single(r => r.Route == route).Template;

    public static string Describe(this FuzzRoute route) => $"{route.Method()} /api/{route.Template()}";

    public static bool UsesApiKey(this FuzzRoute route) =>
        route is not (FuzzRoute.Health or FuzzRoute.HealthLive or FuzzRoute.Twilio or FuzzRoute.Aircall or FuzzRoute.GetAck or FuzzRoute.PostAck or FuzzRoute.TwilioSms);

    public static bool HasBody(this FuzzRoute route) =>
        route is FuzzRoute.PutClient or FuzzRoute.Twilio or FuzzRoute.Aircall or FuzzRoute.PostCalls or FuzzRoute.PostMessage or FuzzRoute.TwilioSms
            or FuzzRoute.ConfirmOffboarding;

    /// <summary>The routes of an acknowledgement link: the signed token in the path is the credential; browsers get pages.</summary>
    public static bool IsAck(this FuzzRoute route) => route is FuzzRoute.GetAck or FuzzRoute.PostAck;

    /// <summary>Twilio's form-encoded webhooks, signed with X-Twilio-Signature over PublicBaseUrl + path + query.</summary>
    public static bool IsTwilioForm(this FuzzRoute route) => route is FuzzRoute.Twilio or FuzzRoute.TwilioSms;
}

/// <summary>A generated value: JSON null, a string, a number, a boolean, or a raw JSON fragment.</summary>
public sealed record FuzzValue(string Kind, object? Value)
{
    public static FuzzValue Null { get; } = new("null", null);

    public static FuzzValue Text(string value, string kind = "string") => new(kind, value);

    public static FuzzValue RawJson(string json, string kind) => new(kind, new FuzzText.Raw(json));

    public JsonNode? ToNode() => Value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        FuzzText.Raw raw => JsonValue.Create(raw),
        _ => throw new InvalidOperationException($"Unexpected value {Value}"),
    };

    /// <summary>The value as a form field or JSON text.</summary>
    public string AsText() => Value switch
    {
        null => "",
        string s => s,
        FuzzText.Raw raw => raw.Text,
        _ => FuzzText.Json(ToNode()),
    };

    public string JsonText => FuzzText.Json(ToNode());

    public override string ToString() => $"{FuzzText.Visible(JsonText, 200)} ({Kind})";
}

/// <summary>One change to the route's valid request body. <see cref="Item"/> picks the item of a call batch.</summary>
public abstract record Mutation(int Item)
{
    /// <summary>Sets (or creates) the member at a dotted path such as <c>caller.phone</c> or <c>calendar.bands[0].from</c>.</summary>
    public sealed record Set(string Path, FuzzValue Value, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"set {Path}{At} = {Value}";
    }

    /// <summary>Sets several members to one value: every timestamp of a call to the same instant keeps the record coherent, so an extreme date gets past validation.</summary>
    public sealed record SetMany(IReadOnlyList<string> Paths, FuzzValue Value, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"set {string.Join(", ", Paths)}{At} = {Value}";
    }

    public sealed record Remove(string Path, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"remove {Path}{At}";
    }

    /// <summary>The member again, later in the same object, with another value (which one wins is the parser's business).</summary>
    public sealed record Duplicate(string Path, FuzzValue Value, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"duplicate {Path}{At} = {Value}";
    }

    public sealed record AddMember(string Name, FuzzValue Value, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"add unknown member {Name}{At} = {Value}";
    }

    public sealed record ReplaceBody(FuzzValue Value) : Mutation(0)
    {
        public override string ToString() => $"replace the whole body by {Value}";
    }

    /// <summary>Fills a string member so the whole body weighs <see cref="TargetBytes"/> bytes, with a character of 1 to 4 UTF-8 bytes.</summary>
    public sealed record Pad(string Path, int TargetBytes, string Fill, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"pad {Path}{At} with '{FuzzText.Visible(Fill)}' so the body is {TargetBytes} bytes";
    }

    /// <summary>Puts bytes that are not valid UTF-8 inside a string member.</summary>
    public sealed record InvalidUtf8(string Path, byte[] Bytes, int Item = 0) : Mutation(Item)
    {
        public override string ToString() => $"invalid UTF-8 bytes {Convert.ToHexString(Bytes)} inside {Path}{At}";
    }

    protected string At => Item > 0 ? $" (item {Item})" : "";
}

public enum PathKind
{
    TooLong65,
    TooLong129,
    TooLong300,
    TrailingNewline,
    TrailingCrLf,
    ControlChar,
    Unicode,
    Emoji,
    RawSlash,
    EncodedSlash,
    DotDot,
    EncodedDotDot,
    Space,
    Uppercase,
    Empty,
    PercentGarbage,
    ODataQuote,
    Backslash,
    Hash,
    Question,
    Plus,
}

/// <summary>A change to one parameter of the route's path (index among the route's parameters).</summary>
public sealed record PathMutation(int Parameter, PathKind Kind)
{
    public override string ToString() => $"path parameter {Parameter}: {Kind}";

    /// <summary>The parameter as it goes into the URL (already escaped where it must be).</summary>
    public string Apply(string valid) => Kind switch
    {
        PathKind.TooLong65 => Uri.EscapeDataString(Stretch(valid, 65)),
        PathKind.TooLong129 => Uri.EscapeDataString(Stretch(valid, 129)),
        PathKind.TooLong300 => Uri.EscapeDataString(Stretch(valid, 300)),
        PathKind.TrailingNewline => Uri.EscapeDataString(valid) + "%0A",
        PathKind.TrailingCrLf => Uri.EscapeDataString(valid) + "%0D%0A",
        PathKind.ControlChar => Uri.EscapeDataString(valid) + "%01",
        PathKind.Unicode => Uri.EscapeDataString(valid + "é"),
        PathKind.Emoji => Uri.EscapeDataString("📞" + valid),
        PathKind.RawSlash => Uri.EscapeDataString(valid) + "/x",
        PathKind.EncodedSlash => Uri.EscapeDataString(valid) + "%2Fx",
        PathKind.DotDot => "..",
        PathKind.EncodedDotDot => "%2E%2E",
        PathKind.Space => Uri.EscapeDataString(valid) + "%20",
        PathKind.Uppercase => Uri.EscapeDataString(valid.ToUpperInvariant()),
        PathKind.Empty => "",
        PathKind.PercentGarbage => Uri.EscapeDataString(valid) + "%ZZ",
        PathKind.ODataQuote => Uri.EscapeDataString(valid + "' or PartitionKey ne '"),
        PathKind.Backslash => Uri.EscapeDataString(valid) + "%5C..%5C",
        PathKind.Hash => Uri.EscapeDataString(valid + "#x"),
        PathKind.Question => Uri.EscapeDataString(valid + "?x=1"),
        PathKind.Plus => Uri.EscapeDataString(valid) + "+",
        _ => throw new InvalidOperationException(),
    };

    private static string Stretch(string value, int length) => value.Length >= length ? value[..length] : value + new string('a', length - value.Length);
}

public enum AuthChoice
{
    Valid,
    ValidOtherKey,
    None,
    UnknownKey,
    EmptyBearer,
    BasicScheme,
    LowercaseScheme,
    PaddedKey,
    NonAsciiKey,
    Auditor,
    AuditorScoped,
    WrongRole,
    OtherClientKey,
}

/// <summary>How a provider webhook authenticates: Twilio signature header, Aircall token in the body.</summary>
public enum WebhookAuth
{
    Valid,
    Missing,
    Forged,
    SignedForAnotherUrl,
    Garbage,
}

public enum ContentTypeChoice
{
    Right,
    Missing,
    TextPlain,
    Xml,
    Form,
    Json,
    JsonUtf16Charset,
    ProblemJson,
    Uppercase,
    Multipart,
}

public enum BodyEncoding
{
    Utf8,
    Utf8Bom,
    Utf16,
    Truncated,
    Empty,
}

/// <summary>One generated request, as a structure: rendered by <see cref="FuzzRenderer"/>, shrunk by dropping its parts.</summary>
public sealed record FuzzCase
{
    public required FuzzRoute Route { get; init; }

    /// <summary>Picks the entity of the route's pools (which client, call or message the valid request is about).</summary>
    public int Pool { get; init; }

    /// <summary>Picks the valid variant (call status, Aircall event, scenario, ...).</summary>
    public int Variant { get; init; }

    public AuthChoice Auth { get; init; }
    public WebhookAuth Webhook { get; init; }
    public ContentTypeChoice ContentType { get; init; }
    public BodyEncoding Encoding { get; init; }

    /// <summary>POST /calls: 0 sends one object; n > 0 an array of n records; -1 an empty array; -2 an array of 1,001.</summary>
    public int Batch { get; init; }

    /// <summary>POST /messages: the Idempotency-Key header value, or null for none.</summary>
    public string? IdempotencyKey { get; init; }

    public string? Query { get; init; }

    /// <summary>Acknowledgement links: the Accept header value (a browser's asks for text/html), or null for none.</summary>
    public string? Accept { get; init; }

    /// <summary>Shrinking: the call ids of the request are new ones, so it does not depend on what earlier requests stored.</summary>
    public bool FreshIds { get; init; }

    public IReadOnlyList<PathMutation> PathMutations { get; init; } = [];
    public IReadOnlyList<Mutation> Mutations { get; init; } = [];

    public int Weight => Mutations.Count + PathMutations.Count + (Auth == AuthChoice.Valid ? 0 : 1) + (Webhook == WebhookAuth.Valid ? 0 : 1) +
        (ContentType == ContentTypeChoice.Right ? 0 : 1) + (Encoding == BodyEncoding.Utf8 ? 0 : 1) + (Batch == 0 ? 0 : 1) +
        (IdempotencyKey is null ? 0 : 1) + (Query is null ? 0 : 1) + (Accept is null ? 0 : 1);

    public override string ToString()
    {
        var parts = new List<string> { Route.Describe(), $"pool {Pool}", $"variant {Variant}" };
        if (Auth != AuthChoice.Valid)
        {
            parts.Add($"auth {Auth}");
        }
        if (Webhook != WebhookAuth.Valid)
        {
            parts.Add($"webhook auth {Webhook}");
        }
        if (ContentType != ContentTypeChoice.Right)
        {
            parts.Add($"content type {ContentType}");
        }
        if (Encoding != BodyEncoding.Utf8)
        {
            parts.Add($"encoding {Encoding}");
        }
        if (Batch != 0)
        {
            parts.Add($"batch {Batch}");
        }
        if (IdempotencyKey is not null)
        {
            parts.Add($"Idempotency-Key '{FuzzText.Visible(IdempotencyKey, 80)}'");
        }
        if (Query is not null)
        {
            parts.Add($"query '{FuzzText.Visible(Query, 80)}'");
        }
        if (Accept is not null)
        {
            parts.Add($"Accept '{FuzzText.Visible(Accept, 80)}'");
        }
        if (FreshIds)
        {
            parts.Add("fresh call ids");
        }
        parts.AddRange(PathMutations.Select(p => p.ToString()));
        parts.AddRange(Mutations.Select(m => m.ToString()));
        return string.Join("; ", parts);
    }

    /// <summary>Simpler cases, each one part closer to the valid request: what shrinking tries, in order.</summary>
    public IEnumerable<FuzzCase> Simpler()
    {
        if (!FreshIds && Route is FuzzRoute.Twilio or FuzzRoute.Aircall or FuzzRoute.PostCalls)
        {
            yield return this with { FreshIds = true };
        }
        for (var i = 0; i < Mutations.Count; i++)
        {
            yield return this with { Mutations = Mutations.Where((_, k) => k != i).ToList() };
        }
        for (var i = 0; i < PathMutations.Count; i++)
        {
            yield return this with { PathMutations = PathMutations.Where((_, k) => k != i).ToList() };
        }
        if (Batch > 1)
        {
            yield return this with { Batch = 1, Mutations = Mutations.Where(m => m.Item == 0).ToList() };
        }
        if (Batch != 0 && Mutations.All(m => m.Item == 0))
        {
            yield return this with { Batch = 0 };
        }
        if (Auth != AuthChoice.Valid)
        {
            yield return this with { Auth = AuthChoice.Valid };
        }
        if (Webhook != WebhookAuth.Valid)
        {
            yield return this with { Webhook = WebhookAuth.Valid };
        }
        if (ContentType != ContentTypeChoice.Right)
        {
            yield return this with { ContentType = ContentTypeChoice.Right };
        }
        if (Encoding != BodyEncoding.Utf8)
        {
            yield return this with { Encoding = BodyEncoding.Utf8 };
        }
        if (IdempotencyKey is not null)
        {
            yield return this with { IdempotencyKey = null };
        }
        if (Query is not null)
        {
            yield return this with { Query = null };
        }
        if (Accept is not null)
        {
            yield return this with { Accept = null };
        }
        for (var i = 0; i < Mutations.Count; i++)
        {
            if (Mutations[i] is Mutation.Set { Value.Value: string { Length: > 8 } text } set)
            {
                var shorter = set with { Value = set.Value with { Value = text[..(text.Length / 2)] } };
                yield return this with { Mutations = Mutations.Select((m, k) => k == i ? shorter : m).ToList() };
            }
        }
        if (Pool != 0)
        {
            yield return this with { Pool = 0 };
        }
        if (Variant != 0)
        {
            yield return this with { Variant = 0 };
        }
    }
}

/// <summary>A request ready to send, and how to print it.</summary>
public sealed record FuzzRequest(string Method, string PathAndQuery, IReadOnlyList<(string Name, string Value)> Headers, string? ContentType, byte[]? Body)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), new Uri("http://127.0.0.1:7071" + PathAndQuery));
        foreach (var (name, value) in Headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                throw new InvalidOperationException($"Header {name} cannot carry '{value}'.");
            }
        }
        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            message.Content.Headers.ContentType = null;
            if (ContentType is not null && !message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType))
            {
                throw new InvalidOperationException($"Content-Type cannot be '{ContentType}'.");
            }
        }
        return message;
    }

    public override string ToString()
    {
        var builder = new StringBuilder();
        builder.Append(Method).Append(' ').Append(FuzzText.Visible(PathAndQuery, 400)).AppendLine();
        foreach (var (name, value) in Headers)
        {
            builder.Append("  ").Append(name).Append(": ").Append(FuzzText.Visible(value, 200)).AppendLine();
        }
        if (Body is not null)
        {
            builder.Append("  Content-Type: ").Append(ContentType is null ? "(none)" : FuzzText.Visible(ContentType, 200)).AppendLine();
            builder.Append("  body (").Append(Body.Length).Append(" bytes): ").Append(FuzzText.VisibleBytes(Body, 1500)).AppendLine();
        }
        return builder.ToString();
    }
}
