using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Clients;
using Permanence.Core.Common;
using Permanence.Core.Security;

namespace Permanence.Core.Tests;

/// <summary>Rules behind the hardening of ingestion: ownership over time, call admission, identifiers, limits.</summary>
public class HardeningTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 10, 5, 7, 31, 10);

    private static Configuration.ContractVersion Version(string effectiveFrom, int version, params string[] numbers)
    {
        var json = Samples.AltheaJson();
        json["effectiveFrom"] = effectiveFrom;
        json["numbers"] = new JsonArray(numbers.Select(n => (JsonNode)n).ToArray());
        return Samples.Compile(json) with { Version = version };
    }

    private static Instant ParisMidnight(int year, int month, int day) =>
        new LocalDate(year, month, day).AtStartOfDayInZone(DateTimeZoneProviders.Tzdb["Europe/Paris"]).ToInstant();

    [Fact]
    public void Ownership_FollowsTheVersionsInForce_DroppedNumbersAreFreedFromTheDroppingVersion()
    {
        var history = new Configuration.ContractHistory(
        [
            Version("2026-01-01", 1, "+33186950000"),
            Version("2026-06-01", 2, "+33186950001"),
            Version("2026-09-01", 3, "+33186950000", "+33186950001"),
        ]);

        var intervals = NumberOwnership.IntervalsByNumber(history);

        Assert.Equal(
            [new OwnershipInterval(ParisMidnight(2026, 1, 1), ParisMidnight(2026, 6, 1)), new OwnershipInterval(ParisMidnight(2026, 9, 1), null)],
            intervals["+33186950000"]);
        Assert.Equal([new OwnershipInterval(ParisMidnight(2026, 6, 1), null)], intervals["+33186950001"]); // one interval across v2 and v3
        Assert.True(intervals["+33186950000"][0].Contains(ParisMidnight(2026, 6, 1) - Duration.FromSeconds(1)));
        Assert.False(intervals["+33186950000"][0].Contains(ParisMidnight(2026, 6, 1)));
    }

    [Fact]
    public void Ownership_IntervalsOverlapOnlyWhenTheyShareAMoment_AndRoundTripThroughStorage()
    {
        var a = new OwnershipInterval(ParisMidnight(2026, 1, 1), ParisMidnight(2026, 6, 1));
        var b = new OwnershipInterval(ParisMidnight(2026, 6, 1), null);
        var c = new OwnershipInterval(ParisMidnight(2026, 5, 31), ParisMidnight(2026, 7, 1));
        Assert.False(a.Overlaps(b));
        Assert.False(b.Overlaps(a));
        Assert.True(a.Overlaps(c));
        Assert.True(b.Overlaps(c));
        Assert.True(NumberOwnership.Overlap([a], [c]));
        Assert.Equal([a, b], NumberOwnership.Parse(NumberOwnership.Format([a, b])));
    }

    private sealed class Scope(params string[] clients) : IClientScope
    {
        public bool AllClients => clients.Contains("*");

        public bool CanAccess(string clientId) => AllClients || clients.Contains(clientId);
    }

    private static CallRecord Stored(string? clientId) => new() { Provider = "pbx", CallId = "c", ClientId = clientId, StartedAt = T0 };

    public static TheoryData<string?, string?, string?, string[], string?, string> AdmissionCases => new()
    {
        // stored client, explicit client, derived client, key scope → client used, or the refusal
        { "a", null, null, ["a"], "a", "" },
        { "a", "a", null, ["a"], "a", "" },
        { "a", "b", null, ["b"], null, "Forbidden" },       // B's key naming B on A's call
        { "a", null, "b", ["b"], null, "Forbidden" },       // the number moved to B: the call stays A's
        { "a", null, "b", ["*"], null, "ClientConflict" },   // ...and is not merged into A's record for a key that sees all
        { "a", "b", null, ["a", "b"], null, "ClientConflict" },
        { "a", "b", null, ["*"], null, "ClientConflict" },
        { null, null, null, ["*"], null, "" },               // unmatched, all-clients key
        { null, "b", null, ["b"], null, "Forbidden" },       // a scoped key cannot claim an unmatched call
    };

    [Theory]
    [MemberData(nameof(AdmissionCases))]
    public void Admission_IsDecidedOnTheStoredClient(string? stored, string? explicitClient, string? derived, string[] scope, string? expectedClient, string expectedRefusal)
    {
        var (client, refusal) = CallIngestionService.Admit(Stored(stored), explicitClient, derived, new Scope(scope));
        Assert.Equal(expectedClient, client);
        Assert.Equal(expectedRefusal, refusal?.GetType().Name ?? "");
    }

    [Theory]
    [InlineData(null, null, new[] { "*" }, null, "")]
    [InlineData(null, "b", new[] { "b" }, "b", "")]
    [InlineData(null, null, new[] { "b" }, null, "Forbidden")] // a scoped key cannot create an unmatched call
    [InlineData("a", null, new[] { "b" }, null, "Forbidden")]
    [InlineData(null, "a", new[] { "*" }, "a", "")]
    public void Admission_OfANewCall(string? explicitClient, string? derived, string[] scope, string? expectedClient, string expectedRefusal)
    {
        var (client, refusal) = CallIngestionService.Admit(null, explicitClient, derived, new Scope(scope));
        Assert.Equal(expectedClient, client);
        Assert.Equal(expectedRefusal, refusal?.GetType().Name ?? "");
    }

    [Fact]
    public void Merge_NeverChangesAClientOnceSet()
    {
        var record = CallRecord.Merge(null, new CallObservation { Provider = "pbx", CallId = "c", ClientId = "b-client", StartedAt = T0 });
        var merged = CallRecord.Merge(record, new CallObservation { Provider = "pbx", CallId = "c", ClientId = "a-client", EndedAt = T0 + Duration.FromMinutes(1) });
        Assert.Equal("b-client", merged.ClientId);
        var unmatched = CallRecord.Merge(null, new CallObservation { Provider = "pbx", CallId = "c", StartedAt = T0 });
        Assert.Equal("a-client", CallRecord.Merge(unmatched, new CallObservation { Provider = "pbx", CallId = "c", ClientId = "a-client" }).ClientId);
    }

    [Fact]
    public void Aircall_AgentWithoutTopLevelTimestamp_IsOrderedByTheEventsOwnTimes()
    {
        var json = """
            { "resource": "call", "event": "call.answered", "data": { "id": 42, "direction": "inbound",
              "started_at": 1791183000, "answered_at": 1791183012, "user": { "id": 7 }, "number": { "digits": "+33186950000" } } }
            """;
        using var document = JsonDocument.Parse(json);
        var observation = Assert.IsType<PayloadResult.Accepted>(AircallPayload.Map(document.RootElement, T0)).Observation;
        Assert.Equal(Instant.FromUnixTimeSeconds(1791183012), observation.ObservedAt);
        var record = CallRecord.Merge(null, observation);
        Assert.Equal(Instant.FromUnixTimeSeconds(1791183012), record.AgentObservedAt);
    }

    [Fact]
    public void Merge_AgentWithNoTimeAtAll_HasNoSentinelTime()
    {
        var record = CallRecord.Merge(null, new CallObservation { Provider = "pbx", CallId = "c", AgentId = "op-1" });
        Assert.Null(record.AgentObservedAt); // never Instant.MinValue, which storage refuses
    }

    [Theory]
    [InlineData("c1\n")]
    [InlineData("c1\r\n")]
    [InlineData("c1\0")]
    [InlineData("c1 ")]
    [InlineData("c1/..")]
    public void Identifiers_WithControlCharactersOrTrailingNewline_AreRefused(string value)
    {
        Assert.False(Identifiers.IsValidExternalId(value));
        Assert.False(Identifiers.IsValidClientId(value));
    }

    [Theory]
    [InlineData("Mon, 05 Oct 2026 07:31:10 +0000", true)]
    [InlineData("Mon, 05 Oct 2026 07:31:10 GMT", true)]
    [InlineData("Mon, 05 Oct 2026 09:31:10 +0200", true)]
    [InlineData("Tue, 05 Oct 2026 07:31:10 +0000", false)] // wrong day name
    [InlineData("2026-10-05T07:31:10Z", false)]
    [InlineData("05 Oct 2026 07:31:10", false)]
    [InlineData("Mon, 05 Oct 2026 07:31:10 +0000\n", false)]
    public void Twilio_Timestamp_IsStrictRfc1123(string value, bool valid)
    {
        var parsed = TwilioVoicePayload.ParseTimestamp(value);
        Assert.Equal(valid, parsed is not null);
        if (valid)
        {
            Assert.Equal(T0, parsed);
        }
    }

    [Fact]
    public void KeyId_IsAnHmacUnderTheServerSecret_NotAPlainDigest()
    {
        const string key = "test-admin-key-0000000000000000";
        var id = ApiKeyRegistry.KeyIdOf(key, "secret-one-0123456789abcdef0123456789");
        Assert.Equal(id, ApiKeyRegistry.KeyIdOf(key, "secret-one-0123456789abcdef0123456789"));
        Assert.NotEqual(id, ApiKeyRegistry.KeyIdOf(key, "secret-two-0123456789abcdef0123456789"));
        var plainDigest = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        Assert.DoesNotContain(id["key-".Length..], plainDigest, StringComparison.Ordinal);
        Assert.Equal(24, id.Length - "key-".Length); // 96 bits
    }

    /// <summary>A contract store over dictionaries, counting reads: enough to observe the cache, which is all this tests.</summary>
    private sealed class CountingContractStore : IContractStore
    {
        public int ClaimReads;

        public Task<IReadOnlyList<StoredContractVersion>> GetVersionsAsync(string clientId, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<StoredContractVersion>>([]);

        public Task<IReadOnlyList<NumberClaim>> GetNumberClaimsAsync(string number, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref ClaimReads);
            return Task.FromResult<IReadOnlyList<NumberClaim>>([]);
        }

        public Task WriteNumberClaimAsync(NumberClaim claim, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task RemoveNumberClaimAsync(string number, string clientId, CancellationToken cancellationToken) => Task.CompletedTask;

        public bool CanStore(string clientId, StoredContractVersion version) => true;

        public Task<string?> TryLockAsync(string clientId, Instant now, Duration staleAfter, CancellationToken cancellationToken) => Task.FromResult<string?>("lock");

        public Task UnlockAsync(string clientId, string lockToken, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<SaveVersionResult> SaveVersionAsync(string clientId, StoredContractVersion version, int expectedLatestVersion, string lockToken, CancellationToken cancellationToken) =>
            Task.FromResult(new SaveVersionResult(SaveOutcome.Saved, lockToken));
    }

    [Fact]
    public async Task ClientDirectory_IsBounded()
    {
        var store = new CountingContractStore();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-10-05T07:00:00Z"));
        using var directory = new ClientDirectory(new ContractService(store, clock), store, clock);

        for (var i = 0; i < ClientDirectory.MaxEntries + 500; i++)
        {
            await directory.FindNumberOwnerAsync($"+3318{i:D8}", T0, CancellationToken.None);
            Assert.True(directory.Count <= ClientDirectory.MaxEntries, $"{directory.Count} entries after {i + 1} numbers");
        }
        Assert.True(directory.Count > 0);
    }

    [Fact]
    public async Task ClientDirectory_EntriesExpire()
    {
        var store = new CountingContractStore();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-10-05T07:00:00Z"));
        using var directory = new ClientDirectory(new ContractService(store, clock), store, clock);

        var reads = store.ClaimReads;
        await directory.FindNumberOwnerAsync("+33100000001", T0, CancellationToken.None);
        await directory.FindNumberOwnerAsync("+33100000001", T0, CancellationToken.None);
        Assert.Equal(reads + 1, store.ClaimReads); // cached
        clock.Advance(ClientDirectory.Ttl + TimeSpan.FromSeconds(1));
        await directory.FindNumberOwnerAsync("+33100000001", T0, CancellationToken.None);
        Assert.Equal(reads + 2, store.ClaimReads); // expired, read again
    }
}
