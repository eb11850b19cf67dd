using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Permanence.Integration.Tests.Fuzz;
using Permanence.Integration.Tests.Hosts;
using Xunit.Abstractions;

namespace Permanence.Integration.Tests.Isolation;

public sealed class IsolationFixture<TFactory> : IAsyncLifetime where TFactory : IApiHostFactory, new()
{
    public IsolationWorld World { get; private set; } = null!;

    public async Task InitializeAsync() => World = await IsolationWorld.CreateAsync(new TFactory());

    public async Task DisposeAsync() => await World.DisposeAsync();
}

/// <summary>
/// Tenant isolation, route by route and role by role: a key scoped to client B (operator, admin or auditor) must
/// reach nothing of client A. No answer to a B key carries A's data; reads of A's resources are refused (a call of
/// A answers exactly what an unknown call answers, so existence is not revealed either); writes naming A are
/// refused and change nothing in storage; unmatched calls (no client's number) need a key scoped to every client.
/// </summary>
[Collection(StorageSnapshotCollection.Name)]
public abstract class TenantIsolationTests<TFactory>(IsolationFixture<TFactory> fixture, ITestOutputHelper output) : IClassFixture<IsolationFixture<TFactory>>
    where TFactory : IApiHostFactory, new()
{
    private IsolationWorld W => fixture.World;

    private enum Expect
    {
        /// <summary>Any 4xx, nothing stored, no data of A.</summary>
        Refused,

        /// <summary>Exactly 403, nothing stored, no data of A.</summary>
        Forbidden,

        /// <summary>The same status as the same request for an id that exists nowhere (403 or 404), nothing stored, no data of A.</summary>
        LikeUnknown,

        /// <summary><see cref="LikeUnknown"/>, and 404 for the roles that may use the route (operator, admin).</summary>
        NotFoundLikeUnknown,

        /// <summary>Whatever the status, no data of A (the request is about B's own data or about nothing).</summary>
        NoDataOfA,
    }

    private sealed record Probe(string Cell, Func<string, HttpRequestMessage> Build, Expect Expect, Func<string, HttpRequestMessage>? Unknown = null, string? MustNotContain = null);

    private IEnumerable<Probe> Probes()
    {
        var w = W;
        HttpRequestMessage Json(HttpMethod method, string path, string key, JsonNode? body = null) => IsolationWorld.Json(method, path, key, body);
        var unknownCall = $"iso{w.Run}-never-stored";
        // Each role's request differs (agent id, text), so one role's write cannot hide behind an identical earlier one.
        static string Tag(string key) => key.Split('-')[1];

        yield return new("GET /health", key => Json(HttpMethod.Get, "/api/health", key), Expect.NoDataOfA);

        yield return new("PUT /clients/{A}", key => Json(HttpMethod.Put, $"/api/clients/{w.ClientA}", key, w.Configuration("Repris par B", w.FreeNumber, "b@clinic-b.example")), Expect.Refused);
        yield return new("PUT /clients/{B} listing A's number", key => Json(HttpMethod.Put, $"/api/clients/{w.ClientB}", key, w.Configuration($"Cabinet B {w.Run}", w.NumberA, $"b-{w.Run}@clinic-b.example")), Expect.Refused);
        yield return new("GET /clients/{A}", key => Json(HttpMethod.Get, $"/api/clients/{w.ClientA}", key), Expect.LikeUnknown,
            key => Json(HttpMethod.Get, $"/api/clients/iso{w.Run}-nobody", key));

        yield return new("POST /telephony/twilio for A's call, B key, no signature", key =>
        {
            var request = w.TwilioRequest(w.TwilioForm(w.TwilioSidA, w.NumberA, w.CallersA[2]), signed: false);
            request.Headers.Authorization = new("Bearer", key);
            return request;
        }, Expect.Refused);
        yield return new("POST /telephony/aircall for A's call, B key, no token", key =>
        {
            var body = w.AircallEvent(w.AircallIdA, w.NumberA, w.CallersA[1]);
            body.Remove("token");
            return Json(HttpMethod.Post, "/api/telephony/aircall", key, body);
        }, Expect.Refused);

        yield return new("POST /calls to A's number", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord($"iso{w.Run}-b-to-a", w.NumberA, "+33699000001", agentId: Tag(key))), Expect.Refused);
        yield return new("POST /calls naming clientId A", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord($"iso{w.Run}-b-names-a", w.NumberB, "+33699000001", w.ClientA, agentId: Tag(key))), Expect.Refused);
        yield return new("POST /calls A's pbx callId with clientId B", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord(w.PbxCallA, w.NumberB, "+33699000001", w.ClientB, agentId: Tag(key))), Expect.Forbidden);
        yield return new("POST /calls A's aircall callId with clientId B", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord(w.AircallIdA.ToString(System.Globalization.CultureInfo.InvariantCulture), w.NumberB, "+33699000001", w.ClientB, provider: "aircall", agentId: Tag(key))), Expect.Forbidden);
        yield return new("POST /calls A's twilio CallSid with clientId B", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord(w.TwilioSidA, w.NumberB, "+33699000001", w.ClientB, provider: "twilio", agentId: Tag(key))), Expect.Forbidden);
        yield return new("POST /calls to no client's number (new unmatched call)", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord($"iso{w.Run}-b-unmatched", w.FreeNumber, "+33699000001", agentId: Tag(key))), Expect.Refused);
        yield return new("POST /calls the unmatched call's id with clientId B", key => Json(HttpMethod.Post, "/api/calls", key, w.CallRecord(w.UnmatchedCall, w.NumberB, "+33699000001", w.ClientB, agentId: Tag(key))), Expect.Forbidden);
        yield return new("POST /calls array of A's records", key => Json(HttpMethod.Post, "/api/calls", key, new JsonArray(
            w.CallRecord($"iso{w.Run}-b-to-a-2", w.NumberA, "+33699000001", agentId: Tag(key)),
            w.CallRecord(w.PbxCallA, w.NumberB, "+33699000001", w.ClientB, agentId: Tag(key)),
            w.CallRecord($"iso{w.Run}-b-unmatched-2", w.FreeNumber, "+33699000001", agentId: Tag(key)))), Expect.Refused);

        foreach (var (provider, callId) in new[]
        {
            ("pbx", w.PbxCallA), ("twilio", w.TwilioSidA), ("pbx", w.UnmatchedCall),
            ("aircall", (w.AircallIdA - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("aircall", w.AircallIdA.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("aircall", (w.AircallIdA + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("aircall", (w.AircallIdA + 2).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("aircall", (w.AircallIdA + 3).ToString(System.Globalization.CultureInfo.InvariantCulture)),
        })
        {
            var what = callId == w.UnmatchedCall ? "the unmatched call" : callId == (w.AircallIdA - 1).ToString(System.Globalization.CultureInfo.InvariantCulture) || callId == (w.AircallIdA + 3).ToString(System.Globalization.CultureInfo.InvariantCulture) ? "a guessed neighbour of A's ids" : "A's call";
            yield return new($"GET /calls/{provider}/{callId} ({what})", key => Json(HttpMethod.Get, $"/api/calls/{provider}/{callId}", key),
                callId == w.UnmatchedCall ? Expect.Refused : Expect.NotFoundLikeUnknown, key => Json(HttpMethod.Get, $"/api/calls/{provider}/{unknownCall}", key));
        }

        yield return new("POST /messages for A", key => Json(HttpMethod.Post, "/api/messages", key, w.Message(w.ClientA, "message de B " + Tag(key), "Appelant B", "06 99 00 00 01")), Expect.Refused);
        yield return new("POST /messages for A with A's Idempotency-Key", key =>
        {
            var request = Json(HttpMethod.Post, "/api/messages", key, w.Message(w.ClientA, w.TextA, w.CallerNameA, w.CallersA[3]));
            request.Headers.Add("Idempotency-Key", w.IdempotencyKeyA);
            return request;
        }, Expect.Refused);
        yield return new("POST /messages for B with A's Idempotency-Key", key =>
        {
            var request = Json(HttpMethod.Post, "/api/messages", key, w.Message(w.ClientB, "message de B " + Tag(key), "Appelant B", "06 99 00 00 01", $"pbx:{w.PbxCallB}"));
            request.Headers.Add("Idempotency-Key", w.IdempotencyKeyA);
            return request;
        }, Expect.NoDataOfA, MustNotContain: w.MessageIdA);

        var a = w.MessageIdA;
        var last = Convert.ToInt32(a[^1..], 16);
        foreach (var (id, what) in new[]
        {
            (a, "A's message"), (a[..^1] + ((last + 1) % 16).ToString("x", System.Globalization.CultureInfo.InvariantCulture), "A's id, next"),
            (a[..^1] + ((last + 15) % 16).ToString("x", System.Globalization.CultureInfo.InvariantCulture), "A's id, previous"), (a.ToUpperInvariant(), "A's id upper-cased"),
            ("msg-" + new string('0', 32), "guessed id"),
        })
        {
            yield return new($"GET /messages/{{id}} ({what})", key => Json(HttpMethod.Get, $"/api/messages/{id}", key), Expect.Refused);
        }

        yield return new("GET /clients/{A}/reports", key => Json(HttpMethod.Get, $"/api/clients/{w.ClientA}/reports", key), Expect.Forbidden);
        yield return new("GET /clients/{A}/reports/2026-10", key => Json(HttpMethod.Get, $"/api/clients/{w.ClientA}/reports/2026-10", key), Expect.Forbidden);
        yield return new("GET /clients/{A}/exports", key => Json(HttpMethod.Get, $"/api/clients/{w.ClientA}/exports", key), Expect.Forbidden);
        yield return new("GET /clients/{A}/exports/2026-10", key => Json(HttpMethod.Get, $"/api/clients/{w.ClientA}/exports/2026-10", key), Expect.Forbidden);
        yield return new("POST /admin/jobs/export for A", key => Json(HttpMethod.Post, $"/api/admin/jobs/export?client={w.ClientA}&period=2026-10", key), Expect.Forbidden);
        yield return new("POST /admin/jobs/rebuild-indexes for A", key => Json(HttpMethod.Post, $"/api/admin/jobs/rebuild-indexes?client={w.ClientA}", key), Expect.Forbidden);
        yield return new("POST /admin/jobs/sla-report for A", key => Json(HttpMethod.Post, $"/api/admin/jobs/sla-report?client={w.ClientA}&period=2026-10", key), Expect.Forbidden);
        yield return new("POST /admin/clients/{A}/offboard", key => Json(HttpMethod.Post, $"/api/admin/clients/{w.ClientA}/offboard", key), Expect.Forbidden);
        yield return new("GET /admin/clients/{A}/offboard", key => Json(HttpMethod.Get, $"/api/admin/clients/{w.ClientA}/offboard", key), Expect.Forbidden);
        yield return new("POST /admin/clients/{A}/offboard/confirm", key => IsolationWorld.Json(HttpMethod.Post, $"/api/admin/clients/{w.ClientA}/offboard/confirm", key,
            new System.Text.Json.Nodes.JsonObject { ["manifestSha256"] = new string('a', 64) }), Expect.Forbidden);
    }

    [Fact]
    public async Task KeyScopedToB_ReachesNothingOfA_OnAnyRouteWithAnyRole()
    {
        var before = await ReadAsAdminAsync();
        var markers = W.MarkersOfA().Distinct().ToList();
        var failures = new List<string>();
        var matrix = new StringBuilder();
        var roles = W.KeysOfB.Keys.ToList();
        matrix.AppendLine($"{"cell",-72} | {string.Join(" | ", roles.Select(r => $"{r,-16}"))}");
        var snapshot = await W.SnapshotAsync();
        var cells = 0;
        foreach (var probe in Probes())
        {
            var row = new List<string>();
            foreach (var role in roles)
            {
                var key = W.KeysOfB[role];
                cells++;
                var request = probe.Build(key);
                var requestText = await DescribeAsync(request);
                var (status, text) = await SendAsync(request);
                var after = await W.SnapshotAsync();
                var changes = after.Diff(snapshot);
                snapshot = after;

                var problems = new List<string>();
                var leaked = markers.Where(m => !requestText.Contains(m, StringComparison.Ordinal) && text.Contains(m, StringComparison.Ordinal)).ToList();
                if (leaked.Count > 0)
                {
                    problems.Add($"the answer carries A's data: {string.Join(", ", leaked.Select(l => $"'{l}'"))}");
                }
                if (probe.MustNotContain is { } secret && text.Contains(secret, StringComparison.Ordinal))
                {
                    problems.Add($"the answer carries '{secret}'");
                }
                switch (probe.Expect)
                {
                    case Expect.Refused when !IsRefusal(status, text):
                        problems.Add($"expected a refusal (4xx), got {status}");
                        break;
                    case Expect.Forbidden when status != 403:
                        problems.Add($"expected 403, got {status}");
                        break;
                    case Expect.LikeUnknown or Expect.NotFoundLikeUnknown:
                        var (unknownStatus, _) = await SendAsync(probe.Unknown!(key));
                        snapshot = await W.SnapshotAsync();
                        var expected = probe.Expect == Expect.NotFoundLikeUnknown && role != "auditor" ? 404 : unknownStatus;
                        if (status != unknownStatus || status != expected || status is not (403 or 404))
                        {
                            problems.Add($"expected {expected}, what an id that exists nowhere answers ({unknownStatus}), got {status}");
                        }
                        break;
                }
                if (probe.Expect != Expect.NoDataOfA && changes.Count > 0)
                {
                    problems.Add($"storage changed: {string.Join("; ", changes.Take(5))}");
                }
                row.Add(problems.Count == 0 ? $"ok {status}" : $"FAIL {status}");
                if (problems.Count > 0)
                {
                    failures.Add($"[{W.Host.Name}] {probe.Cell} with the {role} key scoped to B: {string.Join("; ", problems)}\n  request: {requestText}\n  response: {status} {FuzzText.Visible(text, 600)}");
                }
            }
            matrix.AppendLine($"{FuzzText.Visible(probe.Cell, 72),-72} | {string.Join(" | ", row.Select(r => $"{r,-16}"))}");
        }

        var afterRecords = await ReadAsAdminAsync();
        foreach (var (what, json) in before)
        {
            if (afterRecords[what] != json)
            {
                failures.Add($"[{W.Host.Name}] {what} of A changed under B's requests:\n  before: {json}\n  after:  {afterRecords[what]}");
            }
        }

        output.WriteLine($"{W.Host.Name}: {cells} matrix cells (route × role), client A {W.ClientA}, client B {W.ClientB}");
        output.WriteLine(matrix.ToString());
        failures.ForEach(output.WriteLine);
        Assert.True(failures.Count == 0, $"{failures.Count} isolation failures on {W.Host.Name}:\n{string.Join("\n", failures)}");
    }

    [Fact]
    public async Task KeysScopedToB_StillReachB_SoTheMatrixIsNotVacuous()
    {
        var markers = W.MarkersOfA().ToList();
        async Task<string> Expect(HttpStatusCode status, HttpRequestMessage request)
        {
            var (actual, text) = await SendAsync(request);
            Assert.True(actual == (int)status, $"{request.Method} {request.RequestUri}: expected {(int)status}, got {actual} {text}");
            Assert.DoesNotContain(markers, m => text.Contains(m, StringComparison.Ordinal));
            return text;
        }

        var call = await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Post, "/api/calls", W.OperatorB, W.CallRecord($"iso{W.Run}-b-own-{Guid.NewGuid():N}"[..40], W.NumberB, "+33699000002")));
        Assert.Equal(W.ClientB, (string?)JsonNode.Parse(call.Split('\n')[0])!["clientId"]);
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/calls/pbx/{W.PbxCallB}", W.OperatorB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/calls/pbx/{W.PbxCallB}", W.AdminB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}", W.AdminB, null));
        await Expect(HttpStatusCode.Accepted, IsolationWorld.Json(HttpMethod.Post, "/api/messages", W.OperatorB, W.Message(W.ClientB, "message de B", "Appelant B", "06 99 00 00 02", $"pbx:{W.PbxCallB}")));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/messages/{W.MessageIdB}", W.OperatorB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/messages/{W.MessageIdB}", W.AdminB, null));
        await Expect(HttpStatusCode.Forbidden, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}", W.AuditorB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Post, $"/api/admin/jobs/sla-report?client={W.ClientB}&period=2026-10", W.AdminB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}/reports", W.AuditorB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}/reports/2026-10", W.AuditorB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}/reports/2026-10", W.AdminB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Post, $"/api/admin/jobs/export?client={W.ClientB}&period=2026-10", W.AdminB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}/exports", W.AuditorB, null));
        await Expect(HttpStatusCode.OK, IsolationWorld.Json(HttpMethod.Get, $"/api/clients/{W.ClientB}/exports/2026-10", W.AuditorB, null));
    }

    private async Task<Dictionary<string, string>> ReadAsAdminAsync()
    {
        var reads = new Dictionary<string, string>
        {
            ["client configuration"] = $"/api/clients/{W.ClientA}",
            ["pbx call"] = $"/api/calls/pbx/{W.PbxCallA}",
            ["twilio call"] = $"/api/calls/twilio/{W.TwilioSidA}",
            ["aircall call"] = $"/api/calls/aircall/{W.AircallIdA}",
            ["unmatched call"] = $"/api/calls/pbx/{W.UnmatchedCall}",
            ["message"] = $"/api/messages/{W.MessageIdA}",
        };
        var result = new Dictionary<string, string>();
        foreach (var (what, path) in reads)
        {
            var (status, text) = await SendAsync(IsolationWorld.Json(HttpMethod.Get, path, TestKeys.Admin, null));
            result[what] = $"{status} {text}";
        }
        return result;
    }

    /// <summary>The status, and the response's headers and body as one text (what is searched for A's data).</summary>
    private async Task<(int Status, string Text)> SendAsync(HttpRequestMessage request)
    {
        try
        {
            using var response = await W.Http.SendAsync(request);
            var headers = string.Join(" ", response.Headers.Select(h => $"[{h.Key}: {string.Join(",", h.Value)}]"));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync() + (headers.Length > 0 ? "\n" + headers : ""));
        }
        catch (Exception e)
        {
            return (500, e.ToString());
        }
    }

    private static bool IsRefusal(int status, string text)
    {
        if (status is >= 400 and < 500)
        {
            return true;
        }
        if (status != 207)
        {
            return false;
        }
        // A batch is refused when every one of its items is.
        var json = text.Split('\n')[0];
        return JsonNode.Parse(json)?["results"]?.AsArray().All(r => (int)r!["status"]! >= 400) == true;
    }

    private static async Task<string> DescribeAsync(HttpRequestMessage request)
    {
        var body = request.Content is null ? "" : " " + await request.Content.ReadAsStringAsync();
        var headers = string.Join(" ", request.Headers.Select(h => $"[{h.Key}: {string.Join(",", h.Value)}]"));
        return $"{request.Method} {request.RequestUri} {headers}{body}";
    }
}

public sealed class StandaloneTenantIsolationTests(IsolationFixture<StandaloneHost.Factory> fixture, ITestOutputHelper output) : TenantIsolationTests<StandaloneHost.Factory>(fixture, output);

public sealed class FunctionsTenantIsolationTests(IsolationFixture<FunctionsHost.Factory> fixture, ITestOutputHelper output) : TenantIsolationTests<FunctionsHost.Factory>(fixture, output);
