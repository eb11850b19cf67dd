using System.Text.Json;
using NodaTime;
using Permanence.Core.Calls;

namespace Permanence.Core.Tests;

public class CallMergeTests
{
    private static readonly Instant T0 = Instant.FromUtc(2026, 10, 5, 7, 31, 10);

    private static IReadOnlyList<CallObservation> Lifecycle(string callId) =>
    [
        new() { Provider = "pbx", CallId = callId, Direction = "inbound", From = "+33612345678", To = "+33186950000", StartedAt = T0, ObservedAt = T0 },
        new() { Provider = "pbx", CallId = callId, AnsweredAt = T0 + Duration.FromSeconds(12), AgentId = "op-12", ObservedAt = T0 + Duration.FromSeconds(12) },
        new() { Provider = "pbx", CallId = callId, AgentId = "op-7", ObservedAt = T0 + Duration.FromSeconds(60) },
        new() { Provider = "pbx", CallId = callId, EndedAt = T0 + Duration.FromSeconds(230), ObservedAt = T0 + Duration.FromSeconds(230) },
    ];

    private static CallRecord Replay(IEnumerable<CallObservation> events) =>
        events.Aggregate((CallRecord?)null, CallRecord.Merge)!;

    [Fact]
    public void Merge_EventsShuffledAndRedelivered_GiveTheOrderedRecord()
    {
        var events = Lifecycle("c-1");
        var ordered = Replay(events);
        var random = new Random(20261005);
        for (var round = 0; round < 200; round++)
        {
            var shuffled = events.Concat(events).OrderBy(_ => random.Next()).ToList();
            Assert.Equal(ordered, Replay(shuffled));
        }
        Assert.Equal(CallOutcomes.Answered, ordered.Outcome);
        Assert.Equal("op-7", ordered.AgentId); // the later transfer wins whatever the order
        Assert.Equal(T0, ordered.StartedAt);
    }

    [Fact]
    public void Merge_LaterEventWithEarlierStart_MovesStartEarlierOnly()
    {
        var record = Replay(
        [
            new() { Provider = "pbx", CallId = "c", StartedAt = T0 + Duration.FromSeconds(5), EndedAt = T0 + Duration.FromSeconds(50) },
            new() { Provider = "pbx", CallId = "c", StartedAt = T0, EndedAt = T0 + Duration.FromSeconds(40) },
        ]);
        Assert.Equal(T0, record.StartedAt);
        Assert.Equal(T0 + Duration.FromSeconds(50), record.EndedAt);
    }

    [Fact]
    public void Merge_ConflictingUnansweredOutcomes_KeepTheMostSpecific()
    {
        var record = Replay(
        [
            new() { Provider = "pbx", CallId = "c", Outcome = CallOutcomes.Voicemail },
            new() { Provider = "pbx", CallId = "c", Outcome = CallOutcomes.Missed, EndedAt = T0 },
        ]);
        Assert.Equal(CallOutcomes.Voicemail, record.Outcome);
    }

    /// <summary>README "Calls": the most specific outcome wins, most specific first; answered whenever answeredAt is known.</summary>
    private static readonly string[] UnansweredMostSpecificFirst =
        [CallOutcomes.Voicemail, CallOutcomes.Abandoned, CallOutcomes.Missed, CallOutcomes.Busy, CallOutcomes.Failed];

    public static TheoryData<string, string> EveryPairOfOutcomes()
    {
        var data = new TheoryData<string, string>();
        foreach (var first in CallOutcomes.All)
        {
            foreach (var second in CallOutcomes.All)
            {
                data.Add(first, second); // each pair in both orders, and each outcome with itself
            }
        }
        return data;
    }

    private static CallObservation EventWithOutcome(string outcome) => outcome == CallOutcomes.Answered
        ? new() { Provider = "pbx", CallId = "c", StartedAt = T0, AnsweredAt = T0 + Duration.FromSeconds(12), Outcome = CallOutcomes.Answered, ObservedAt = T0 + Duration.FromSeconds(12) }
        : new() { Provider = "pbx", CallId = "c", StartedAt = T0, EndedAt = T0 + Duration.FromSeconds(40), Outcome = outcome, ObservedAt = T0 + Duration.FromSeconds(40) };

    [Theory]
    [MemberData(nameof(EveryPairOfOutcomes))]
    public void Merge_TwoEventsWithOutcomes_KeepsTheHigherRankedWhateverTheOrder(string first, string second)
    {
        var expected = first == CallOutcomes.Answered || second == CallOutcomes.Answered
            ? CallOutcomes.Answered
            : UnansweredMostSpecificFirst.First(o => o == first || o == second);

        var inOrder = CallRecord.Merge(CallRecord.Merge(null, EventWithOutcome(first)), EventWithOutcome(second));
        var reversed = CallRecord.Merge(CallRecord.Merge(null, EventWithOutcome(second)), EventWithOutcome(first));

        Assert.Equal(expected, inOrder.Outcome);
        Assert.Equal(expected, reversed.Outcome);
        Assert.Equal(inOrder, reversed);
    }

    private static JsonElement Aircall(string json) => JsonDocument.Parse(json).RootElement;

    private static string Ended(string reason, string? voicemail = null) => $$"""
        { "resource": "call", "event": "call.ended", "timestamp": 1791183000, "token": "t",
          "data": { "id": 1234567, "direction": "inbound", "started_at": 1791182900, "answered_at": null, "ended_at": 1791182960,
                    "raw_digits": "+33 6 12 34 56 78", "number": { "digits": "+33 1 86 95 00 00" },
                    "missed_call_reason": "{{reason}}", "voicemail": {{(voicemail is null ? "null" : $"\"{voicemail}\"")}} } }
        """;

    [Theory]
    [InlineData("short_abandoned", null, CallOutcomes.Abandoned)]
    [InlineData("abandoned_in_ivr", null, CallOutcomes.Abandoned)]
    [InlineData("abandoned_in_classic", null, CallOutcomes.Abandoned)]
    [InlineData("out_of_opening_hours", null, CallOutcomes.Missed)]
    [InlineData("agents_did_not_answer", null, CallOutcomes.Missed)]
    [InlineData("agents_did_not_answer", "https://voicemail.example/v/1.mp3", CallOutcomes.Voicemail)]
    public void AircallEnded_MissedCallReason_MapsToDesignOutcome(string reason, string? voicemail, string expected)
    {
        var result = Assert.IsType<PayloadResult.Accepted>(AircallPayload.Map(Aircall(Ended(reason, voicemail)), T0));
        var record = CallRecord.Merge(null, result.Observation);
        Assert.Equal(expected, record.Outcome);
        Assert.Equal("1234567", record.CallId);
        Assert.Equal("+33 1 86 95 00 00", record.To); // the Aircall line is 'to' for inbound calls
        Assert.Equal("+33 6 12 34 56 78", record.From);
        Assert.Equal(Instant.FromUnixTimeSeconds(1791182900), record.StartedAt);
    }

    [Fact]
    public void AircallOutbound_SwapsLineAndCaller()
    {
        var json = Ended("agents_did_not_answer").Replace("\"inbound\"", "\"outbound\"", StringComparison.Ordinal);
        var observation = Assert.IsType<PayloadResult.Accepted>(AircallPayload.Map(Aircall(json), T0)).Observation;
        Assert.Equal("+33 1 86 95 00 00", observation.From);
        Assert.Equal("+33 6 12 34 56 78", observation.To);
    }

    [Fact]
    public void AircallOtherResource_IsIgnored()
    {
        Assert.IsType<PayloadResult.Ignored>(AircallPayload.Map(Aircall("""{ "resource": "contact", "event": "contact.created", "data": {} }"""), T0));
    }

    [Theory]
    [InlineData("ringing", null)]
    [InlineData("in-progress", CallOutcomes.Answered)]
    [InlineData("no-answer", CallOutcomes.Missed)]
    [InlineData("busy", CallOutcomes.Busy)]
    [InlineData("failed", CallOutcomes.Failed)]
    [InlineData("canceled", CallOutcomes.Abandoned)]
    [InlineData("completed", CallOutcomes.Missed)] // completed and never answered
    public void TwilioStatus_MapsToDesignOutcome(string status, string? expected)
    {
        var form = new Dictionary<string, string>
        {
            ["CallSid"] = "CA0123456789abcdef0123456789abcdef",
            ["CallStatus"] = status,
            ["Direction"] = "inbound",
            ["From"] = "+33612345678",
            ["To"] = "+33186950000",
            ["Timestamp"] = "Mon, 05 Oct 2026 07:31:10 +0000",
        };
        var observation = Assert.IsType<PayloadResult.Accepted>(TwilioVoicePayload.Map(form, T0)).Observation;
        Assert.Equal(expected, CallRecord.Merge(null, observation).Outcome);
    }
}
