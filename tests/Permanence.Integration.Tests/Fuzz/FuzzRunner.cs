using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;

namespace Permanence.Integration.Tests.Fuzz;

/// <summary>How the fuzz run is sized and seeded; each can be overridden from the environment.</summary>
public static class FuzzSettings
{
    /// <summary>Generated cases per route and host. Thirteen routes on two hosts: keep the whole suite within about two minutes.</summary>
    public const int DefaultCasesPerRoute = 180;

    public const ulong DefaultSeed = 20261005;

    /// <summary>Requests spent shrinking one failing property of one route.</summary>
    public const int DefaultShrinkRuns = 40;

    public static int CasesPerRoute => Read("PERMANENCE_FUZZ_CASES", DefaultCasesPerRoute);

    public static int ShrinkRuns => Read("PERMANENCE_FUZZ_SHRINK_RUNS", DefaultShrinkRuns);

    public static ulong Seed => ulong.TryParse(Environment.GetEnvironmentVariable("PERMANENCE_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed) ? seed : DefaultSeed;

    /// <summary>When set, every generated case and its status are appended to this file (for looking at what the generators produce).</summary>
    public static string? LogFile => Environment.GetEnvironmentVariable("PERMANENCE_FUZZ_LOG") is { Length: > 0 } path ? path : null;

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;
}

/// <summary>What one request did.</summary>
public sealed record FuzzOutcome(
    FuzzCase Case,
    FuzzRequest Request,
    int Status,
    string? MediaType,
    string Body,
    Exception? Error,
    IReadOnlyList<string> StorageChanges,
    bool Routed)
{
    public string Describe()
    {
        var builder = new StringBuilder();
        builder.Append("  case: ").AppendLine(Case.ToString());
        builder.Append("  request:\n    ").AppendLine(Request.ToString().TrimEnd().Replace("\n", "\n    ", StringComparison.Ordinal));
        if (Error is not null)
        {
            builder.Append("  the host threw: ").AppendLine(FuzzText.Visible(Error.GetBaseException().ToString(), 1500));
        }
        else
        {
            builder.Append("  response: ").Append(Status).Append(' ').Append(MediaType ?? "(no content type)").Append(' ').AppendLine(FuzzText.Visible(Body, 700));
        }
        if (!Routed)
        {
            builder.AppendLine("  (the path matches no route of the contract once decoded)");
        }
        if (StorageChanges.Count > 0)
        {
            builder.Append("  storage changes: ").AppendLine(string.Join("; ", StorageChanges.Take(6)) + (StorageChanges.Count > 6 ? $"; … {StorageChanges.Count - 6} more" : ""));
        }
        return builder.ToString();
    }
}

public static class FuzzProperties
{
    public const string No5xx = "no 5xx while storage is up";
    public const string ProblemJson = "every 4xx is application/problem+json";
    public const string RefusedChangesNothing = "a refused request (4xx) changes nothing in storage";
    public const string RefusedBatchChangesNothing = "a 207 whose every item is refused changes nothing in storage";
    public const string AckPageChangesNothing = "GET /acks/{token} changes nothing in storage, even when it answers 200";
    public const string AcknowledgingOnlyAdds = "an acknowledgement (POST /acks, inbound SMS) only adds acknowledgement rows (and the SMS's raw archive and its number's count of wrong codes)";

    /// <summary>A wrong reply code counts against its number for the day (docs/guides/routing.md): row "failures-yyyyMMdd" of SmsReplyCodes.</summary>
    private static bool IsWrongCodeCount(string change) =>
        (change.StartsWith("added table SmsReplyCodes (", StringComparison.Ordinal) || change.StartsWith("modified table SmsReplyCodes (", StringComparison.Ordinal)) &&
        change.Contains(" | failures-", StringComparison.Ordinal);

    public static IEnumerable<string> Violated(FuzzOutcome o)
    {
        if (o.Error is not null || o.Status >= 500)
        {
            yield return No5xx;
        }
        if (o.Error is null && o.Status is >= 400 and < 500)
        {
            if (o.Routed && !IsProblem(o) && !IsAckErrorPage(o))
            {
                yield return ProblemJson;
            }
            if (o.StorageChanges.Count > 0)
            {
                yield return RefusedChangesNothing;
            }
        }
        if (o.Error is null && o.Status == 207 && EveryItemRefused(o.Body) && o.StorageChanges.Count > 0)
        {
            yield return RefusedBatchChangesNothing;
        }
        // Mail scanners and link previews fetch links: only the page's button (a POST) acknowledges.
        if (o.Case.Route == FuzzRoute.GetAck && o.StorageChanges.Count > 0)
        {
            yield return AckPageChangesNothing;
        }
        if (o.Case.Route is (FuzzRoute.PostAck or FuzzRoute.TwilioSms) && o.StorageChanges.Any(change =>
            !change.StartsWith("added table Acknowledgements (", StringComparison.Ordinal) && !(change.StartsWith("added blob raw/", StringComparison.Ordinal) && change.Contains("/twilio-sms/", StringComparison.Ordinal)) &&
            !IsWrongCodeCount(change)))
        {
            yield return AcknowledgingOnlyAdds;
        }
    }

    /// <summary>
    /// The one 4xx that is not a problem: an acknowledgement link opened in a browser gets an error page, so the
    /// request must have asked for text/html (a media range of that type, not refused with q=0).
    /// </summary>
    private static bool IsAckErrorPage(FuzzOutcome o) =>
        o.Case.Route.IsAck() &&
        string.Equals(o.MediaType, "text/html", StringComparison.OrdinalIgnoreCase) &&
        o.Request.Headers.Any(h => string.Equals(h.Name, "Accept", StringComparison.OrdinalIgnoreCase) && AcceptsHtml(h.Value));

    private static bool AcceptsHtml(string accept) =>
        accept.Split(',').Any(range => MediaTypeWithQualityHeaderValue.TryParse(range.Trim(), out var media) &&
            string.Equals(media.MediaType, "text/html", StringComparison.OrdinalIgnoreCase) && (media.Quality ?? 1) > 0);

    private static bool IsProblem(FuzzOutcome o)
    {
        if (!string.Equals(o.MediaType, "application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        try
        {
            using var document = JsonDocument.Parse(o.Body);
            return document.RootElement.ValueKind == JsonValueKind.Object &&
                (!document.RootElement.TryGetProperty("status", out var status) || (status.TryGetInt32(out var code) && code == o.Status));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool EveryItemRefused(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var results = document.RootElement.GetProperty("results");
            return results.GetArrayLength() > 0 && results.EnumerateArray().All(r => r.GetProperty("status").GetInt32() >= 400);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>The result of fuzzing one route on one host.</summary>
public sealed class RouteReport(string host, FuzzRoute route)
{
    public string Host { get; } = host;
    public FuzzRoute Route { get; } = route;
    public int Cases { get; set; }
    public int Unsendable { get; set; }
    public int ShrinkRuns { get; set; }
    public int Routed { get; set; }
    public TimeSpan Elapsed { get; set; }
    public SortedDictionary<int, int> Statuses { get; } = [];

    /// <summary>Statuses answered by the route's handler itself (not by routing, for a mutated path).</summary>
    public SortedSet<int> HandlerStatuses { get; } = [];
    public Dictionary<string, int> ViolationCounts { get; } = [];
    public Dictionary<string, (FuzzOutcome First, int Index)> FirstViolations { get; } = [];
    public Dictionary<string, (FuzzOutcome Minimal, int Steps)> Minimal { get; } = [];

    public int Successes => Statuses.Where(s => s.Key is >= 200 and < 300).Sum(s => s.Value);

    public string Summary =>
        $"[{Host}] {Route.Describe()}: {Cases} cases ({Routed} reached the route's handler, {Successes} answered 2xx, {Unsendable} not sendable), " +
        $"{ShrinkRuns} shrink runs, {Elapsed.TotalSeconds:0.0} s; statuses {string.Join(", ", Statuses.Select(s => $"{s.Key}×{s.Value}"))}";

    public string Failures(ulong seed)
    {
        var builder = new StringBuilder();
        foreach (var (property, count) in ViolationCounts.OrderBy(v => v.Key, StringComparer.Ordinal))
        {
            var (minimal, steps) = Minimal[property];
            var (_, index) = FirstViolations[property];
            builder.Append($"[{Host}] {Route.Describe()} violates \"{property}\" in {count} of {Cases} cases ")
                .AppendLine($"(first at case #{index}, seed {seed}, CsCheck PCG stream {(int)Route + 1}); minimal request after {steps} shrink steps:")
                .AppendLine(minimal.Describe());
        }
        return builder.ToString();
    }
}

/// <summary>
/// Drives one route with generated requests: CsCheck's generators, drawn from a PCG seeded with a fixed seed
/// (PERMANENCE_FUZZ_SEED) so that a run is repeatable; each request is checked against every property, and
/// every violated property is shrunk to a minimal request by dropping the case's changes one at a time.
/// Storage is snapshotted after every request: the snapshot after one request is the one before the next.
/// </summary>
public sealed class FuzzRunner(FuzzWorld world)
{
    private StorageSnapshot? _snapshot;

    public async Task<RouteReport> RunAsync(string hostName, FuzzRoute route, int cases, ulong seed)
    {
        var clock = Stopwatch.StartNew();
        var report = new RouteReport(hostName, route);
        var gen = FuzzGenerators.For(route, world);
        var pcg = new PCG((uint)route + 1, seed);
        _snapshot = await world.SnapshotAsync();
        for (var i = 0; i < cases; i++)
        {
            var fuzzCase = gen.Generate(pcg, null, out _);
            var outcome = await ExecuteAsync(fuzzCase);
            report.Cases++;
            if (outcome is null)
            {
                report.Unsendable++;
                continue;
            }
            report.Statuses[outcome.Status] = report.Statuses.GetValueOrDefault(outcome.Status) + 1;
            if (FuzzSettings.LogFile is { } log)
            {
                await File.AppendAllTextAsync(log, $"{hostName}\t{route}\t{i}\t{outcome.Status}\t{FuzzText.Visible(fuzzCase.ToString(), 300)}\n");
            }
            if (outcome.Routed)
            {
                report.Routed++;
                report.HandlerStatuses.Add(outcome.Status);
            }
            foreach (var property in FuzzProperties.Violated(outcome))
            {
                report.ViolationCounts[property] = report.ViolationCounts.GetValueOrDefault(property) + 1;
                report.FirstViolations.TryAdd(property, (outcome, i));
            }
        }
        foreach (var (property, (first, _)) in report.FirstViolations)
        {
            report.Minimal[property] = await ShrinkAsync(first, property, report);
        }
        report.Elapsed = clock.Elapsed;
        return report;
    }

    /// <summary>Greedy shrinking: take any simpler case that still violates the property, until none does or the budget is spent.</summary>
    private async Task<(FuzzOutcome, int)> ShrinkAsync(FuzzOutcome failing, string property, RouteReport report)
    {
        var budget = FuzzSettings.ShrinkRuns;
        var steps = 0;
        var current = failing;
        var improved = true;
        while (improved && budget > 0)
        {
            improved = false;
            foreach (var candidate in current.Case.Simpler())
            {
                if (budget-- <= 0)
                {
                    break;
                }
                report.ShrinkRuns++;
                var outcome = await ExecuteAsync(candidate);
                if (outcome is not null && FuzzProperties.Violated(outcome).Contains(property))
                {
                    current = outcome;
                    steps++;
                    improved = true;
                    break;
                }
            }
        }
        return (current, steps);
    }

    /// <summary>Sends the case's request; null when HttpClient refuses to build it (a header it will not carry).</summary>
    public async Task<FuzzOutcome?> ExecuteAsync(FuzzCase fuzzCase)
    {
        var request = new FuzzRenderer(world).Render(fuzzCase);
        HttpRequestMessage message;
        try
        {
            message = request.ToMessage();
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or UriFormatException)
        {
            return null;
        }
        var routed = Routes(fuzzCase.Route, message.RequestUri!);
        int status;
        string? mediaType = null;
        var body = "";
        Exception? error = null;
        try
        {
            using var response = await world.Http.SendAsync(message);
            status = (int)response.StatusCode;
            mediaType = response.Content.Headers.ContentType?.MediaType;
            body = await response.Content.ReadAsStringAsync();
        }
        catch (Exception e)
        {
            // The Functions dispatcher lets an unhandled exception through, as the Functions host would answer 500.
            status = 500;
            error = e;
        }
        var after = await world.SnapshotAsync();
        var changes = after.Diff(_snapshot!);
        // What the request archived has been looked at (the properties are judged on `changes`): deleting it keeps the
        // archive listing, which every snapshot reads, as short as before the run.
        var archived = after.AddedBlobs(_snapshot!, "raw");
        var container = StorageSnapshot.Container(world.ConnectionString, "raw");
        foreach (var name in archived)
        {
            await container.DeleteBlobIfExistsAsync(name);
        }
        _snapshot = after.WithoutBlobs("raw", archived);
        return new FuzzOutcome(fuzzCase, request, status, mediaType, body, error, changes, routed);
    }

    /// <summary>
    /// Whether the request's path, decoded the way ASP.NET Core servers decode it (everything but %2F), names the
    /// route: requests that match no route are answered by the host's router, not by the contract's handlers.
    /// </summary>
    public static bool Routes(FuzzRoute route, Uri uri)
    {
        var decoded = Uri.UnescapeDataString(uri.AbsolutePath.Replace("%2F", "%252F", StringComparison.OrdinalIgnoreCase));
        var segments = decoded.Split('/');
        var template = ("/api/" + route.Template()).Split('/');
        return segments.Length == template.Length &&
            segments.Zip(template).All(p => p.Second.StartsWith('{') ? p.First.Length > 0 : string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));
    }
}
