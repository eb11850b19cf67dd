using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using Permanence.Integration.Tests.Hosts;

namespace Permanence.Integration.Tests.Fuzz;

/// <summary>Turns a <see cref="FuzzCase"/> into the exact request: the route's valid request with the case's changes applied.</summary>
public sealed class FuzzRenderer(FuzzWorld world)
{
    public const string BaseUrl = "http://127.0.0.1:7071";
    private const string InvalidMarker = "\u0001INVALID-UTF8-{0}\u0001";

    public FuzzRequest Render(FuzzCase c)
    {
        var (path, _) = Path(c);
        // The jobs' valid requests are their queries; a generated query replaces them.
        var pathAndQuery = path + (c.Query ?? c.Route switch
        {
            FuzzRoute.RunSlaReportJob or FuzzRoute.RunExportJob => JobQuery(c),
            FuzzRoute.RebuildMonthIndexes => $"?client={Uri.EscapeDataString(ReportClient(c.Pool))}",
            _ => "",
        });
        var headers = new List<(string, string)>();
        var authorization = Authorization(c);
        if (authorization is not null)
        {
            headers.Add(("Authorization", authorization));
        }
        if (c.Route == FuzzRoute.PostMessage && c.IdempotencyKey is not null)
        {
            headers.Add(("Idempotency-Key", c.IdempotencyKey));
        }
        if (c.Accept is not null)
        {
            headers.Add(("Accept", c.Accept));
        }
        if (!c.Route.HasBody())
        {
            return new FuzzRequest(c.Route.Method(), pathAndQuery, headers, null, null);
        }

        var body = c.Route.IsTwilioForm() ? FormBody(c) : JsonBody(c);
        body = c.Encoding switch
        {
            BodyEncoding.Utf8 => body,
            BodyEncoding.Utf8Bom => [0xEF, 0xBB, 0xBF, .. body],
            BodyEncoding.Utf16 => Encoding.Unicode.GetBytes(Encoding.UTF8.GetString(body)),
            BodyEncoding.Truncated => body[..(body.Length * 2 / 3)],
            BodyEncoding.Empty => [],
            _ => throw new InvalidOperationException(),
        };
        if (c.Route.IsTwilioForm())
        {
            var signature = TwilioSignature(c, pathAndQuery, body);
            if (signature is not null)
            {
                headers.Add(("X-Twilio-Signature", signature));
            }
        }
        return new FuzzRequest(c.Route.Method(), pathAndQuery, headers, ContentType(c), body);
    }

    /// <summary>The route's path with its parameters (valid ones from the pools, then the case's path changes).</summary>
    private (string Path, string[] Parameters) Path(FuzzCase c)
    {
        string[] parameters = c.Route switch
        {
            FuzzRoute.PutClient => [world.PutClients[c.Pool % world.PutClients.Length]],
            FuzzRoute.GetClient => [(c.Pool % 4) switch { 0 => world.Client, 1 => world.PutClients[0], 2 => world.OtherClient, _ => $"fz{world.Run}-nobody" }],
            FuzzRoute.GetCall => (c.Pool % 9) switch
            {
                < 5 and var k => ["pbx", world.CallIds[k]],
                5 => ["twilio", world.TwilioSids[0]],
                6 => ["aircall", world.AircallIds[0].ToString(System.Globalization.CultureInfo.InvariantCulture)],
                7 => ["pbx", world.UnmatchedCallId],
                _ => ["aircall", (world.AircallIds[0] - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)],
            },
            FuzzRoute.GetMessage => [(c.Pool % 4) switch { 0 => world.MessageIds[0], 1 => world.MessageIds[1], 2 => "msg-" + new string('0', 32), _ => "msg-unknown" }],
            FuzzRoute.GetAck or FuzzRoute.PostAck => [world.AckTokenPool[c.Pool % world.AckTokenPool.Count]],
            FuzzRoute.ListReports => [ReportClient(c.Pool)],
            FuzzRoute.GetReport or FuzzRoute.GetExport => [ReportClient(c.Pool), ReportPeriod(c.Variant)],
            FuzzRoute.ListExports => [ReportClient(c.Pool)],
            // The leaving client was offboarded up to "ready" by the seed: a confirmation deletes it (and only it).
            FuzzRoute.OffboardClient or FuzzRoute.GetOffboarding or FuzzRoute.ConfirmOffboarding =>
                [(c.Pool % 3) switch { 0 or 1 => world.LeavingClient, _ => $"fz{world.Run}-nobody" }],
            _ => [],
        };
        var escaped = parameters.Select(Uri.EscapeDataString).ToArray();
        foreach (var mutation in c.PathMutations)
        {
            if (mutation.Parameter < parameters.Length)
            {
                escaped[mutation.Parameter] = mutation.Apply(parameters[mutation.Parameter]);
            }
        }
        var template = c.Route.Template();
        var i = 0;
        var path = "/api/" + string.Join('/', template.Split('/').Select(segment => segment.StartsWith('{') ? escaped[i++] : segment));
        return (path, parameters);
    }

    private string ReportClient(int pool) => (pool % 4) switch { 0 or 1 => world.Client, 2 => world.OtherClient, _ => $"fz{world.Run}-nobody" };

    /// <summary>
    /// Last month (closed: reported once, then answered from storage), this month now and then (a month-to-date
    /// run reads the whole month), then periods refused or out of the contract. In UTC: the fuzz client's zone
    /// may differ by a day.
    /// </summary>
    private static string ReportPeriod(int variant)
    {
        var now = DateTime.UtcNow;
        return (variant % 16) switch
        {
            0 => now.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
            < 8 => now.AddMonths(-1).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
            8 or 9 => "1999-01",
            10 or 11 => now.AddMonths(2).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture),
            12 => "2026-13",
            13 => "2026-1",
            14 => "..",
            _ => now.AddMonths(-1).ToString("yyyy-M", System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private string JobQuery(FuzzCase c) =>
        $"?client={Uri.EscapeDataString(ReportClient(c.Pool))}&period={Uri.EscapeDataString(ReportPeriod(c.Variant))}";

    private string? Authorization(FuzzCase c)
    {
        var (valid, other) = c.Route switch
        {
            FuzzRoute.PutClient or FuzzRoute.GetClient or FuzzRoute.RunSlaReportJob or FuzzRoute.RebuildMonthIndexes or FuzzRoute.RunExportJob
                or FuzzRoute.OffboardClient or FuzzRoute.GetOffboarding or FuzzRoute.ConfirmOffboarding => (TestKeys.Admin, world.ScopedAdminKey),
            FuzzRoute.ListReports or FuzzRoute.GetReport or FuzzRoute.ListExports or FuzzRoute.GetExport => (TestKeys.Auditor, world.ScopedAuditorKey),
            FuzzRoute.GetCall or FuzzRoute.GetMessage => (TestKeys.Operator, world.ScopedAdminKey),
            _ => (TestKeys.Operator, world.ScopedOperatorKey),
        };
        if (!c.Route.UsesApiKey() && c.Auth == AuthChoice.Valid)
        {
            return null; // webhooks and /health: no API key in the valid request
        }
        return c.Auth switch
        {
            AuthChoice.Valid => $"Bearer {valid}",
            AuthChoice.ValidOtherKey => $"Bearer {other}",
            AuthChoice.None => null,
            AuthChoice.UnknownKey => "Bearer not-a-key-of-this-platform-000",
            AuthChoice.EmptyBearer => "Bearer",
            AuthChoice.BasicScheme => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"user:{valid}")),
            AuthChoice.LowercaseScheme => $"bearer {valid}",
            AuthChoice.PaddedKey => $"Bearer    {valid}   ",
            AuthChoice.NonAsciiKey => "Bearer clé-✓-" + valid,
            AuthChoice.Auditor => $"Bearer {TestKeys.Auditor}",
            AuthChoice.AuditorScoped => $"Bearer {world.ScopedAuditorKey}",
            AuthChoice.WrongRole => c.Route switch
            {
                FuzzRoute.PutClient or FuzzRoute.GetClient => $"Bearer {TestKeys.Operator}",
                FuzzRoute.PostMessage => $"Bearer {TestKeys.Admin}",
                FuzzRoute.ListReports or FuzzRoute.GetReport or FuzzRoute.ListExports or FuzzRoute.GetExport => $"Bearer {TestKeys.Operator}",
                _ => $"Bearer {TestKeys.Auditor}",
            },
            AuthChoice.OtherClientKey => c.Route is FuzzRoute.PutClient or FuzzRoute.GetClient or FuzzRoute.GetCall or FuzzRoute.GetMessage
                or FuzzRoute.RunSlaReportJob or FuzzRoute.ListReports or FuzzRoute.GetReport or FuzzRoute.RebuildMonthIndexes
                or FuzzRoute.RunExportJob or FuzzRoute.ListExports or FuzzRoute.GetExport
                or FuzzRoute.OffboardClient or FuzzRoute.GetOffboarding or FuzzRoute.ConfirmOffboarding
                ? $"Bearer {world.OtherAdminKey}"
                : $"Bearer {world.OtherOperatorKey}",
            _ => throw new InvalidOperationException(),
        };
    }

    private static string? ContentType(FuzzCase c)
    {
        var right = c.Route.IsTwilioForm() ? "application/x-www-form-urlencoded" : "application/json";
        return c.ContentType switch
        {
            ContentTypeChoice.Right => right,
            ContentTypeChoice.Missing => null,
            ContentTypeChoice.TextPlain => "text/plain; charset=utf-8",
            ContentTypeChoice.Xml => "application/xml",
            ContentTypeChoice.Form => "application/x-www-form-urlencoded",
            ContentTypeChoice.Json => "application/json",
            ContentTypeChoice.JsonUtf16Charset => right + "; charset=utf-16",
            ContentTypeChoice.ProblemJson => "application/problem+json",
            ContentTypeChoice.Uppercase => right.ToUpperInvariant(),
            ContentTypeChoice.Multipart => "multipart/form-data; boundary=xyz",
            _ => throw new InvalidOperationException(),
        };
    }

    private byte[] JsonBody(FuzzCase c)
    {
        JsonNode root;
        List<JsonObject> items;
        switch (c.Route)
        {
            case FuzzRoute.PutClient:
                var document = Contract.Api.Althea(world.PutNumbers[c.Pool % world.PutNumbers.Length]);
                document["effectiveFrom"] = (c.Variant % 3) switch { 0 => "2026-10-01", 1 => "2026-11-01", _ => "2027-01-01" };
                root = document;
                items = [document];
                break;
            case FuzzRoute.Aircall:
                var aircall = world.AircallEvent(c.Pool, c.Variant);
                if (c.FreshIds)
                {
                    aircall["data"]!["id"] = world.AircallIds[0] + 1_000_000 + world.NextFresh();
                }
                switch (c.Webhook)
                {
                    case WebhookAuth.Missing: aircall.Remove("token"); break;
                    case WebhookAuth.Forged: aircall["token"] = "forged-token"; break;
                    case WebhookAuth.SignedForAnotherUrl: aircall["token"] = TestKeys.AircallToken.ToUpperInvariant(); break;
                    case WebhookAuth.Garbage: aircall["token"] = 12345; break;
                }
                root = aircall;
                items = [aircall];
                break;
            case FuzzRoute.PostCalls when c.Batch == 0:
                var record = world.CallRecord(CallId(c, 0), c.Variant);
                root = record;
                items = [record];
                break;
            case FuzzRoute.PostCalls:
                var count = c.Batch switch { -1 => 0, -2 => 1001, _ => c.Batch };
                items = Enumerable.Range(0, Math.Min(count, 3)).Select(i => world.CallRecord(CallId(c, i), c.Variant + i)).ToList();
                var array = new JsonArray(items.Cast<JsonNode>().ToArray());
                for (var i = 3; i < count; i++)
                {
                    // Large arrays repeat one small item after the first three: the count is what is being tested.
                    array.Add(new JsonObject { ["provider"] = "pbx" });
                }
                root = array;
                break;
            case FuzzRoute.PostMessage:
                var message = world.Message(c.Variant);
                root = message;
                items = [message];
                break;
            case FuzzRoute.ConfirmOffboarding:
                var confirmation = new JsonObject { ["manifestSha256"] = world.LeavingManifestSha256 };
                root = confirmation;
                items = [confirmation];
                break;
            default:
                throw new InvalidOperationException($"{c.Route} has no JSON body.");
        }

        var invalid = new List<byte[]>();
        Mutation.Pad? pad = null;
        foreach (var mutation in c.Mutations)
        {
            var target = items.Count == 0 ? null : items[mutation.Item % items.Count];
            switch (mutation)
            {
                case Mutation.Set set when target is not null:
                    JsonPath.Set(target, set.Path, set.Value.ToNode());
                    break;
                case Mutation.SetMany many when target is not null:
                    foreach (var path in many.Paths)
                    {
                        JsonPath.Set(target, path, many.Value.ToNode());
                    }
                    break;
                case Mutation.Remove remove when target is not null:
                    JsonPath.Remove(target, remove.Path);
                    break;
                case Mutation.Duplicate duplicate when target is not null:
                    JsonPath.Duplicate(target, duplicate.Path, duplicate.Value.JsonText);
                    break;
                case Mutation.AddMember add when target is not null:
                    target[add.Name] = add.Value.ToNode();
                    break;
                case Mutation.ReplaceBody replace:
                    root = replace.Value.ToNode() ?? JsonValue.Create(new FuzzText.Raw("null"))!;
                    items = [];
                    break;
                case Mutation.Pad p when target is not null:
                    pad = p;
                    JsonPath.Set(target, p.Path, JsonValue.Create(""));
                    break;
                case Mutation.InvalidUtf8 bad when target is not null:
                    JsonPath.Set(target, bad.Path, JsonValue.Create("ab" + string.Format(System.Globalization.CultureInfo.InvariantCulture, InvalidMarker, invalid.Count) + "cd"));
                    invalid.Add(bad.Bytes);
                    break;
            }
        }
        if (pad is not null && items.Count > 0)
        {
            var without = Encoding.UTF8.GetByteCount(FuzzText.Json(root));
            var fill = Fill(pad.Fill, pad.TargetBytes - without, json: true);
            JsonPath.Set(items[pad.Item % items.Count], pad.Path, JsonValue.Create(fill));
        }
        var bytes = Encoding.UTF8.GetBytes(FuzzText.Json(root));
        return ReplaceMarkers(bytes, invalid);
    }

    private byte[] FormBody(FuzzCase c)
    {
        var form = c.Route == FuzzRoute.TwilioSms ? world.SmsForm(c.Pool, c.Variant) : world.TwilioForm(c.Pool, c.Variant);
        if (c.FreshIds && c.Route == FuzzRoute.Twilio)
        {
            SetForm(form, "CallSid", $"CA{world.Run}f{world.NextFresh():D23}");
        }
        var invalid = new List<byte[]>();
        Mutation.Pad? pad = null;
        string? replaced = null;
        foreach (var mutation in c.Mutations)
        {
            switch (mutation)
            {
                case Mutation.Set set:
                    SetForm(form, set.Path, set.Value.AsText());
                    break;
                case Mutation.SetMany many:
                    foreach (var path in many.Paths)
                    {
                        SetForm(form, path, many.Value.AsText());
                    }
                    break;
                case Mutation.Remove remove:
                    form.RemoveAll(p => p.Key == remove.Path);
                    break;
                case Mutation.Duplicate duplicate:
                    form.Add(new(duplicate.Path, duplicate.Value.AsText()));
                    break;
                case Mutation.AddMember add:
                    form.Add(new(add.Name, add.Value.AsText()));
                    break;
                case Mutation.ReplaceBody replace:
                    replaced = replace.Value.AsText();
                    break;
                case Mutation.Pad p:
                    pad = p;
                    SetForm(form, p.Path, "");
                    break;
                case Mutation.InvalidUtf8 bad:
                    SetForm(form, bad.Path, "ab" + string.Format(System.Globalization.CultureInfo.InvariantCulture, InvalidMarker, invalid.Count) + "cd");
                    invalid.Add(bad.Bytes);
                    break;
            }
        }
        if (replaced is not null)
        {
            return Encoding.UTF8.GetBytes(replaced);
        }
        if (pad is not null)
        {
            var without = Encoding.UTF8.GetByteCount(EncodeForm(form));
            SetForm(form, pad.Path, Fill(pad.Fill, pad.TargetBytes - without, json: false));
        }
        var text = EncodeForm(form);
        for (var i = 0; i < invalid.Count; i++)
        {
            // Markers were percent-encoded with the rest: put the raw bytes where the encoded marker is.
            text = text.Replace(Uri.EscapeDataString(string.Format(System.Globalization.CultureInfo.InvariantCulture, InvalidMarker, i)), string.Format(System.Globalization.CultureInfo.InvariantCulture, InvalidMarker, i), StringComparison.Ordinal);
        }
        return ReplaceMarkers(Encoding.UTF8.GetBytes(text), invalid);
    }

    private string CallId(FuzzCase c, int item) =>
        c.FreshIds ? $"fz{world.Run}-f{world.NextFresh()}" : world.CallIds[(c.Pool + item) % world.CallIds.Length];

    private static void SetForm(List<KeyValuePair<string, string>> form, string key, string value)
    {
        var index = form.FindIndex(p => p.Key == key);
        if (index >= 0)
        {
            form[index] = new(key, value);
        }
        else
        {
            form.Add(new(key, value));
        }
    }

    private static string EncodeForm(List<KeyValuePair<string, string>> form) =>
        string.Join('&', form.Select(p => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(p.Value)}"));

    /// <summary>A string that adds <paramref name="bytes"/> bytes to the body, made of <paramref name="fill"/> then 'x' for the remainder.</summary>
    private static string Fill(string fill, int bytes, bool json)
    {
        if (bytes <= 0)
        {
            return "";
        }
        var unit = json ? Encoding.UTF8.GetByteCount(FuzzText.Json(JsonValue.Create(fill))) - 2 : Encoding.UTF8.GetByteCount(Uri.EscapeDataString(fill));
        var count = bytes / unit;
        return string.Concat(Enumerable.Repeat(fill, count)) + new string('x', bytes - count * unit);
    }

    private static byte[] ReplaceMarkers(byte[] bytes, List<byte[]> invalid)
    {
        for (var i = 0; i < invalid.Count; i++)
        {
            var marker = Encoding.UTF8.GetBytes(string.Format(System.Globalization.CultureInfo.InvariantCulture, InvalidMarker, i));
            // In JSON the control characters around the marker were escaped as \u0001.
            var escaped = Encoding.UTF8.GetBytes(FuzzText.Json(JsonValue.Create(string.Format(System.Globalization.CultureInfo.InvariantCulture, InvalidMarker, i)))[1..^1]);
            bytes = Replace(Replace(bytes, escaped, invalid[i]), marker, invalid[i]);
        }
        return bytes;
    }

    private static byte[] Replace(byte[] bytes, byte[] find, byte[] with)
    {
        var at = bytes.AsSpan().IndexOf(find);
        return at < 0 ? bytes : [.. bytes.AsSpan(0, at), .. with, .. bytes.AsSpan(at + find.Length)];
    }

    private string? TwilioSignature(FuzzCase c, string pathAndQuery, byte[] body)
    {
        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(body)).ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value.Select(v => v ?? "").ToList(), StringComparer.Ordinal);
        // Twilio signs the public URL it was given (PublicBaseUrl), not the address the request reached.
        return c.Webhook switch
        {
            WebhookAuth.Valid => Sign(TestKeys.PublicBaseUrl + pathAndQuery, form, TestKeys.TwilioAuthToken),
            WebhookAuth.Missing => null,
            WebhookAuth.Forged => Sign(TestKeys.PublicBaseUrl + pathAndQuery, form, "another-auth-token"),
            WebhookAuth.SignedForAnotherUrl => Sign(BaseUrl + pathAndQuery, form, TestKeys.TwilioAuthToken),
            WebhookAuth.Garbage => "not-a-signature==",
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>
    /// Twilio's algorithm: HMAC-SHA1 over the URL then every field name and value sorted by name (a repeated field:
    /// its distinct values sorted, each with its name), base64.
    /// </summary>
    public static string Sign(string url, IReadOnlyDictionary<string, IReadOnlyList<string>> form, string authToken)
    {
        var data = new StringBuilder(url);
        foreach (var key in form.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            foreach (var value in form[key].Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                data.Append(key).Append(value);
            }
        }
        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(data.ToString())));
    }
}

/// <summary>Dotted paths into a JSON document: <c>caller.phone</c>, <c>calendar.bands[0].from</c>.</summary>
public static class JsonPath
{
    private static List<object> Parse(string path)
    {
        var segments = new List<object>();
        foreach (var part in path.Split('.'))
        {
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? part : part[..bracket];
            if (name.Length > 0)
            {
                segments.Add(name);
            }
            while (bracket >= 0)
            {
                var close = part.IndexOf(']', bracket);
                segments.Add(int.Parse(part[(bracket + 1)..close], System.Globalization.CultureInfo.InvariantCulture));
                bracket = part.IndexOf('[', close);
            }
        }
        return segments;
    }

    /// <summary>The parent of the path's last segment, creating missing objects on the way; null when the way is blocked.</summary>
    private static JsonNode? Parent(JsonNode root, List<object> segments, bool create)
    {
        JsonNode? node = root;
        for (var i = 0; i < segments.Count - 1 && node is not null; i++)
        {
            JsonNode? next = segments[i] switch
            {
                string name when node is JsonObject obj => obj.TryGetPropertyValue(name, out var child) ? child : null,
                int index when node is JsonArray array => index < array.Count ? array[index] : null,
                _ => null,
            };
            if (next is null && create && segments[i] is string missing && node is JsonObject parent && segments[i + 1] is string)
            {
                next = new JsonObject();
                parent[missing] = next;
            }
            node = next is JsonObject or JsonArray ? next : null;
        }
        return node;
    }

    public static void Set(JsonNode root, string path, JsonNode? value)
    {
        var segments = Parse(path);
        switch (Parent(root, segments, create: true), segments[^1])
        {
            case (JsonObject obj, string name):
                obj[name] = value;
                break;
            case (JsonArray array, int index) when index < array.Count:
                array[index] = value;
                break;
            case (JsonArray array, int index) when index == array.Count:
                array.Add(value);
                break;
        }
    }

    public static void Remove(JsonNode root, string path)
    {
        var segments = Parse(path);
        switch (Parent(root, segments, create: false), segments[^1])
        {
            case (JsonObject obj, string name):
                obj.Remove(name);
                break;
            case (JsonArray array, int index) when index < array.Count:
                array.RemoveAt(index);
                break;
        }
    }

    public static void Duplicate(JsonNode root, string path, string valueJson)
    {
        var segments = Parse(path);
        if (Parent(root, segments, create: false) is JsonObject obj && segments[^1] is string name)
        {
            if (!obj.TryGetPropertyValue(FuzzText.RawMembersProperty, out var existing))
            {
                existing = JsonValue.Create(new List<FuzzText.RawMember>());
                obj[FuzzText.RawMembersProperty] = existing;
            }
            existing!.AsValue().GetValue<List<FuzzText.RawMember>>().Add(new FuzzText.RawMember(name, valueJson));
        }
    }
}
