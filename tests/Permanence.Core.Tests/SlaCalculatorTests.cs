using System.Text.Json.Nodes;
using NodaTime;
using NodaTime.Text;
using Permanence.Core.Calls;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Sla;

namespace Permanence.Core.Tests;

// Expectations are worked out by hand in the comments; Althéa (samples/althea.json): business Mon–Fri 08:30–18:30,
// evening 18:30–22:00, targets business {0.95, 20 s, 0.80, 10 min, 0.95}, evening {0.90, 30 s, 0.70}, max
// qualification errors 0.05, 50 €/point capped at 1500 €, short abandon < 5 s.
public class SlaCalculatorTests
{
    private static readonly YearMonth October = new(2026, 10);

    private static Instant Utc(string iso) => InstantPattern.ExtendedIso.Parse(iso).Value;

    private static ContractHistory Althea(Action<JsonObject>? change = null)
    {
        var json = Samples.AltheaJson();
        change?.Invoke(json);
        return new ContractHistory([Samples.Compile(json) with { Version = 1 }]);
    }

    private static int _callId;

    private static CallRecord Call(string startUtc, double? answerAfter = null, string? outcome = null, double? endAfter = null, string direction = CallDirections.Inbound)
    {
        var start = Utc(startUtc);
        return new CallRecord
        {
            Provider = "test",
            CallId = $"c{Interlocked.Increment(ref _callId)}",
            Direction = direction,
            StartedAt = start,
            AnsweredAt = answerAfter is { } a ? start + Duration.FromMilliseconds((long)(a * 1000)) : null,
            EndedAt = endAfter is { } e ? start + Duration.FromMilliseconds((long)(e * 1000)) : null,
            ReportedOutcome = outcome ?? (answerAfter is null ? CallOutcomes.Missed : CallOutcomes.Answered),
        };
    }

    private static Message Msg(string id, string takenUtc, bool complete = true, string scenario = "rdv", Priority priority = Priority.Standard) => new()
    {
        Id = id,
        ClientId = "althea",
        Scenario = scenario,
        TakenAt = Utc(takenUtc),
        ReceivedAt = Utc(takenUtc),
        Priority = priority,
        Qualification = new Qualification(complete, complete ? [] : ["callerPhone"], []),
        ConfigurationVersion = 1,
        RequestHash = "h",
        SubmittedBy = "op",
    };

    private static SlaReport Run(ContractHistory history, IEnumerable<CallRecord> calls, IEnumerable<Message>? messages = null, Dictionary<string, MessageDeliveries>? deliveries = null) =>
        SlaCalculator.Calculate(history, October, calls, messages ?? [], id => deliveries?.GetValueOrDefault(id) ?? MessageDeliveries.None);

    private static BandFigures Band(SlaReport report, string name) => report.Bands.Single(b => b.Band == name);

    [Fact]
    public void Period_LocalMonthEdges_IncludeFirstMidnightAndLastSecond()
    {
        var report = Run(Althea(), [
            Call("2026-09-30T21:59:59Z", 3), // 23:59:59 CEST 30 Sept: out
            Call("2026-09-30T22:00:00Z", 3), // 00:00:00 CEST 1 Oct: in
            Call("2026-10-31T22:59:59Z", 3), // 23:59:59 CET 31 Oct: in
            Call("2026-10-31T23:00:00Z", 3), // 00:00:00 CET 1 Nov: out
            Call("2026-10-05T08:00:00Z", 3, direction: CallDirections.Outbound), // outbound: never counted
        ]);

        Assert.Equal("2026-10", report.Period);
        Assert.Equal(2, report.Calls.Inbound);
        Assert.Equal(31, report.VolumesByDay.Count);
        Assert.Equal(new VolumeShare("2026-10-01", 1, 0.5m), report.VolumesByDay[0]);
        Assert.Equal(new VolumeShare("2026-10-31", 1, 0.5m), report.VolumesByDay[30]);
        Assert.Equal(2, Band(report, "closed").Inbound); // Thu 00:00 and Sat 23:59 are outside every band
    }

    [Fact]
    public void DstEnd_BandEdgeAndPickupAcrossTheChange_UseLocalTimeAndRealDurations()
    {
        // 25 Oct 2026: 03:00 CEST becomes 02:00 CET. A Sunday band 00:00–02:30 sees 02:15 twice.
        var history = Althea(json =>
            json["calendar"]!["bands"]!.AsArray().Add(new JsonObject { ["name"] = "sunday", ["days"] = new JsonArray("Sun"), ["from"] = "00:00", ["to"] = "02:30" }));
        var report = Run(history, [
            Call("2026-10-25T00:15:00Z", 2), // 02:15 CEST: sunday
            Call("2026-10-25T00:45:00Z", 2), // 02:45 CEST: closed
            Call("2026-10-25T01:15:00Z", 2), // 02:15 CET (again): sunday
            Call("2026-10-25T01:45:00Z", 2), // 02:45 CET: closed
            Call("2026-10-25T00:59:50Z", 15), // 02:59:50 CEST, answered 02:00:05 CET: 15 s, closed
        ]);

        Assert.Equal(2, Band(report, "sunday").Inbound);
        Assert.Equal(3, Band(report, "closed").Inbound);
        Assert.Equal(15m, Band(report, "closed").P90PickupSeconds); // delays 2, 2, 15: rank ⌈2.7⌉ = 3
        Assert.Equal(19m / 3, Band(report, "closed").AsaSeconds);
        Assert.Equal(5, report.VolumesByDay.Single(d => d.Key == "2026-10-25").Count);
    }

    [Fact]
    public void ShortAbandons_LeaveOffered_AndEmptyBandHasNullRatesAndNoPenalty()
    {
        // Mon 5 Oct 10:00 CEST = 08:00Z, business.
        var report = Run(Althea(), [
            Call("2026-10-05T08:00:00Z", 10), // answered in 10 s (≤ 20 s)
            Call("2026-10-05T08:01:00Z", outcome: CallOutcomes.Abandoned, endAfter: 4.999), // short: < 5 s
            Call("2026-10-05T08:02:00Z", outcome: CallOutcomes.Abandoned, endAfter: 5), // 5 s is not short
            Call("2026-10-05T08:03:00Z", outcome: CallOutcomes.Missed, endAfter: 30),
            Call("2026-10-05T08:04:00Z", outcome: CallOutcomes.Voicemail, endAfter: 30),
        ]);

        Assert.Equal(new CallCounts(5, 1, 1, 1, 2, 4), report.Calls);
        var business = Band(report, "business");
        Assert.Equal(4, business.Offered);
        Assert.Equal(0.25m, business.AnswerRate); // 1 / 4
        Assert.Equal(0.25m, business.ServiceLevel); // 1 within 20 s / 4 offered
        Assert.Null(business.TransmissionRate); // no message in the band

        var evening = Band(report, "evening");
        Assert.Equal(0, evening.Inbound);
        Assert.Null(evening.AnswerRate);
        Assert.Null(evening.ServiceLevel);
        Assert.Null(evening.AsaSeconds);
        Assert.Null(evening.P90PickupSeconds);
        var eveningLines = report.Compliance.Where(c => c.Band == "evening").ToList();
        Assert.Equal(2, eveningLines.Count); // answerRate and serviceLevel; no transmission target
        Assert.All(eveningLines, l => { Assert.Null(l.Actual); Assert.Null(l.Met); Assert.Equal(0m, l.PenaltyEuros); });
        Assert.Null(report.Overall.ServiceLevel); // service level is per band only

        // business answerRate 0.95 − 0.25 = 70 points, serviceLevel 0.80 − 0.25 = 55 points: 125 × 50 € = 6250 € → cap 1500 €.
        Assert.Equal(3500m, report.Compliance.Single(c => c is { Band: "business", Indicator: "answerRate" }).PenaltyEuros);
        Assert.Equal(2750m, report.Compliance.Single(c => c is { Band: "business", Indicator: "serviceLevel" }).PenaltyEuros);
        Assert.Equal(6250m, report.Penalties.Uncapped);
        Assert.Equal(1500m, report.Penalties.Total);
        Assert.True(report.Penalties.Capped);
    }

    [Fact]
    public void MidMonthVersion_ChangesBandHoursFromItsLocalMidnight_AndItsTargetsApply()
    {
        var first = Samples.Compile(Samples.AltheaJson()) with { Version = 1 };
        var json = Samples.AltheaJson();
        json["effectiveFrom"] = "2026-10-15";
        json["calendar"]!["bands"]![0]!["to"] = "17:00";
        json["calendar"]!["bands"]![1]!["from"] = "17:00";
        json["sla"]!["targets"]![0]!["answerRate"] = 0.9;
        var second = Samples.Compile(json) with { Version = 2 };
        var report = Run(new ContractHistory([first, second]), [
            Call("2026-10-14T15:30:00Z", 5), // Wed 17:30 CEST under v1: business
            Call("2026-10-15T15:30:00Z", 5), // Thu 17:30 CEST under v2: evening
            Call("2026-10-14T21:59:59Z", 5), // Wed 23:59:59 CEST, still v1: closed
        ]);

        Assert.Equal(1, Band(report, "business").Inbound);
        Assert.Equal(1, Band(report, "evening").Inbound);
        Assert.Equal(1, Band(report, "closed").Inbound);
        Assert.Equal(0.9m, report.Compliance.Single(c => c is { Band: "business", Indicator: "answerRate" }).Target);
    }

    [Theory]
    [InlineData(5, false)] // threshold 4 × 1.25 = 5: 5 is not above it
    [InlineData(6, true)]
    public void VolumeRevision_AboveForecastTimesTolerance_LowersAnswerAndServiceTargets(int calls, bool applied)
    {
        var history = Althea(json =>
        {
            json["sla"]!["volumeRevision"]!["forecastMonthlyCalls"] = 4;
            json["sla"]!["volumeRevision"]!["tolerance"] = 0.25;
        });
        var report = Run(history, Enumerable.Range(0, calls).Select(i => Call($"2026-10-05T08:0{i}:00Z", 10)));

        Assert.Equal(applied, report.VolumeRevision.Applied);
        Assert.Equal(5m, report.VolumeRevision.Threshold);
        var line = (string indicator, string band) => report.Compliance.Single(c => c.Indicator == indicator && c.Band == band).Target;
        Assert.Equal(applied ? 0.90m : 0.95m, line("answerRate", "business"));
        Assert.Equal(applied ? 0.75m : 0.80m, line("serviceLevel", "business"));
        Assert.Equal(applied ? 0.65m : 0.70m, line("serviceLevel", "evening"));
        Assert.Equal(0.95m, line("transmissionRate", "business")); // not a revised target
    }

    [Fact]
    public void P90_NearestRank_OnEvenAndOddCounts()
    {
        // business: 10 answered, delays 1..10 s → ⌈0.9 × 10⌉ = 9th = 9 s; ASA 5.5 s.
        // evening (Mon 19:00 CEST = 17:00Z): 11 answered, 1..10 s and 10.5 s → ⌈9.9⌉ = 10th = 10 s.
        var calls = Enumerable.Range(1, 10).Select(s => Call($"2026-10-05T08:{s:D2}:00Z", s))
            .Concat(Enumerable.Range(1, 10).Select(s => Call($"2026-10-05T17:{s:D2}:00Z", s)))
            .Append(Call("2026-10-05T17:30:00Z", 10.5));
        var report = Run(Althea(), calls);

        Assert.Equal(9m, Band(report, "business").P90PickupSeconds);
        Assert.Equal(5.5m, Band(report, "business").AsaSeconds);
        Assert.Equal(10m, Band(report, "evening").P90PickupSeconds);
        Assert.Equal(10m, report.Overall.P90PickupSeconds); // 21 delays: ⌈18.9⌉ = 19th = 10 s
    }

    private static StepRecord Step(string id, int step, string status, string at) =>
        new() { MessageId = id, ClientId = "althea", Step = step, Status = status, Contacts = ["accueil"], StartedAt = Utc(at) };

    private static DeliveryAttempt Attempt(string id, int step, string status, string? sentAt, string channel = "email") => new()
    {
        MessageId = id, ClientId = "althea", Step = step, ContactId = "accueil", Channel = channel, Attempt = 0,
        Status = status, CreatedAt = Utc("2026-10-05T08:00:00Z"), SentAt = sentAt is null ? null : Utc(sentAt),
    };

    [Fact]
    public void Transmission_FirstDeliveryOfFirstStepThatRan_FallbackIgnored()
    {
        // All taken Mon 5 Oct 10:00 CEST (business, 10 min target).
        const string taken = "2026-10-05T08:00:00Z";
        var messages = new[]
        {
            Msg("m1", taken, complete: false), Msg("m2", taken), Msg("m3", taken, scenario: "urgence", priority: Priority.Critical), Msg("m4", taken),
        };
        var deliveries = new Dictionary<string, MessageDeliveries>
        {
            // 9 min: within (a failure before, a later sms after).
            ["m1"] = new([Step("m1", 0, StepStatus.Ran, taken)], [
                Attempt("m1", 0, DeliveryStatus.Failed, null), Attempt("m1", 0, DeliveryStatus.Sent, "2026-10-05T08:09:00Z"),
                Attempt("m1", 0, DeliveryStatus.Sent, "2026-10-05T08:12:00Z", "sms")]),
            // Step 0 at 11 min is late; step 1's earlier send does not count.
            ["m2"] = new([Step("m2", 0, StepStatus.Ran, taken), Step("m2", 1, StepStatus.Ran, taken)], [
                Attempt("m2", 0, DeliveryStatus.Sent, "2026-10-05T08:11:00Z"), Attempt("m2", 1, DeliveryStatus.Sent, "2026-10-05T08:01:00Z")]),
            // Never delivered: only the fallback email (step 99) went out.
            ["m3"] = new([Step("m3", 0, StepStatus.Ran, taken), Step("m3", RoutingService.FallbackStep, StepStatus.Ran, taken)], [
                Attempt("m3", 0, DeliveryStatus.Failed, null), Attempt("m3", RoutingService.FallbackStep, DeliveryStatus.Sent, "2026-10-05T08:02:00Z")]),
            // Step 0 skipped (nobody on call), step 1 delivered at exactly 10 min: within.
            ["m4"] = new([Step("m4", 0, StepStatus.Skipped, taken), Step("m4", 1, StepStatus.Ran, taken)], [
                Attempt("m4", 1, DeliveryStatus.Sent, "2026-10-05T08:10:00Z")]),
        };
        var report = Run(Althea(), [], messages, deliveries);

        Assert.Equal(0.5m, Band(report, "business").TransmissionRate); // m1, m4 of 4
        Assert.Null(Band(report, "evening").TransmissionRate); // no transmission target
        Assert.Equal(4, report.Messages.Total);
        Assert.Equal(1, report.Messages.Incomplete);
        Assert.Equal(0.25m, report.Messages.QualificationErrorRate);
        Assert.Equal(3, report.Messages.ByPriority["standard"]);
        Assert.Equal(1, report.Messages.ByPriority["critical"]);
        Assert.Equal(new VolumeShare("urgence", 1, 0.25m), report.VolumesByScenario.Single(s => s.Key == "urgence"));
        var transmission = report.Compliance.Single(c => c.Indicator == "transmissionRate");
        Assert.Equal((0.95m, 0.5m, false, 45), (transmission.Target, transmission.Actual!.Value, transmission.Met!.Value, transmission.PenaltyPoints));
    }

    [Fact]
    public void Transmission_FirstStepRanButFailed_LaterStepDeliveryDoesNotCount()
    {
        const string taken = "2026-10-05T08:00:00Z";
        var deliveries = new Dictionary<string, MessageDeliveries>
        {
            ["m1"] = new([Step("m1", 0, StepStatus.Ran, taken), Step("m1", 1, StepStatus.Ran, taken)], [
                Attempt("m1", 0, DeliveryStatus.Failed, null), Attempt("m1", 1, DeliveryStatus.Sent, "2026-10-05T08:03:00Z")]),
            ["m2"] = new([Step("m2", 0, StepStatus.Cancelled, taken), Step("m2", RoutingService.FallbackStep, StepStatus.Ran, taken)], [
                Attempt("m2", RoutingService.FallbackStep, DeliveryStatus.Sent, "2026-10-05T08:01:00Z")]),
        };
        var report = Run(Althea(), [], [Msg("m1", taken), Msg("m2", taken)], deliveries);

        Assert.Equal(0m, Band(report, "business").TransmissionRate); // 0 of 2
    }

    [Fact]
    public void QualificationErrors_SevenPercentAgainstFive_IsTwoPoints()
    {
        Assert.Equal(0.02m, SlaCalculator.Dec(0.07)!.Value - SlaCalculator.Dec(0.05)!.Value);

        // 100 messages on Sun 4 Oct (closed band), 7 incomplete: 0.07 against a maximum of 0.05.
        var messages = Enumerable.Range(0, 100).Select(i => Msg($"q{i}", "2026-10-04T10:00:00Z", complete: i >= 7));
        var report = Run(Althea(), [], messages);

        var line = report.Compliance.Single(c => c.Indicator == "qualificationErrorRate");
        Assert.Null(line.Band);
        Assert.Equal(0.05m, line.Target);
        Assert.Equal(0.07m, line.Actual);
        Assert.False(line.Met);
        Assert.Equal(2, line.PenaltyPoints);
        Assert.Equal(100m, line.PenaltyEuros);
        Assert.Equal(100m, report.Penalties.Total);
        Assert.False(report.Penalties.Capped);
    }

    [Fact]
    public void Days_OneEntryPerLocalDay_WithOutcomesSplitAndSummingToTheMonth()
    {
        var report = Run(Althea(), [
            Call("2026-09-30T22:00:00Z", outcome: CallOutcomes.Missed), // 00:00 CEST Thu 1 Oct: missed
            Call("2026-10-05T08:00:00Z", 3), // Mon 5 Oct: answered
            Call("2026-10-05T08:01:00Z", outcome: CallOutcomes.Abandoned, endAfter: 2), // short abandon (< 5 s)
            Call("2026-10-05T08:02:00Z", outcome: CallOutcomes.Abandoned, endAfter: 10), // abandoned
            Call("2026-10-05T21:59:59Z", outcome: CallOutcomes.Voicemail), // 23:59:59 CEST: still 5 Oct, missed
            Call("2026-10-05T22:00:00Z", 12), // 00:00 CEST: Tue 6 Oct, answered
            Call("2026-10-31T22:59:59Z", 1), // 23:59:59 CET Sat 31 Oct (after the DST change): answered
        ]);

        Assert.Equal(31, report.Days.Count);
        Assert.Equal(Enumerable.Range(1, 31).Select(d => $"2026-10-{d:D2}"), report.Days.Select(d => d.Date));
        Assert.Equal(new DayFigures("2026-10-01", 1, 0, 0, 0, 1), report.Days[0]);
        Assert.Equal(new DayFigures("2026-10-05", 4, 1, 1, 1, 1), report.Days[4]);
        Assert.Equal(new DayFigures("2026-10-06", 1, 1, 0, 0, 0), report.Days[5]);
        Assert.Equal(new DayFigures("2026-10-31", 1, 1, 0, 0, 0), report.Days[30]);
        Assert.All(report.Days.Where(d => d.Date is not ("2026-10-01" or "2026-10-05" or "2026-10-06" or "2026-10-31")),
            d => Assert.Equal(new DayFigures(d.Date, 0, 0, 0, 0, 0), d));
        Assert.Equal(report.VolumesByDay.Select(v => (v.Key, v.Count)), report.Days.Select(d => (d.Date, d.Inbound)));
        Assert.Equal(new CallCounts(7, 3, 1, 1, 2, 6), report.Calls);
    }

    [Fact]
    public void PickupDelays_FixedBuckets_LowerEdgeIncluded_UpperExcluded_AnsweredOnly()
    {
        // Pickups in seconds, business (Mon 08:xxZ) and evening (Mon 17:xxZ) together; unanswered calls not counted.
        // [0,10): 0, 9.999 → 2; [10,20): 10, 19.999 → 2; [20,30): 20 → 1; [30,45): 30, 44.999 → 2; [45,60): 45 → 1;
        // [60,120): 60, 90, 119.999 → 3; [120,∞): 120, 3600 → 2. Total 13 = answered.
        double[] business = [0, 9.999, 10, 19.999, 20, 30, 44.999];
        double[] evening = [45, 60, 90, 119.999, 120, 3600];
        var calls = business.Select((s, i) => Call($"2026-10-05T08:{i:D2}:00Z", s))
            .Concat(evening.Select((s, i) => Call($"2026-10-05T17:{i:D2}:00Z", s)))
            .Append(Call("2026-10-05T08:30:00Z", outcome: CallOutcomes.Abandoned, endAfter: 40))
            .Append(Call("2026-10-05T08:31:00Z", outcome: CallOutcomes.Missed));
        var report = Run(Althea(), calls);

        Assert.Equal(
            [
                new PickupDelayBucket(0, 10, 2), new PickupDelayBucket(10, 20, 2), new PickupDelayBucket(20, 30, 1),
                new PickupDelayBucket(30, 45, 2), new PickupDelayBucket(45, 60, 1), new PickupDelayBucket(60, 120, 3),
                new PickupDelayBucket(120, null, 2),
            ],
            report.PickupDelays);
        Assert.Equal(report.Calls.Answered, report.PickupDelays.Sum(b => b.Count));
    }

    [Fact]
    public void PickupDelays_NoAnsweredCall_AllBucketsPresentAndEmpty()
    {
        var report = Run(Althea(), [Call("2026-10-05T08:00:00Z", outcome: CallOutcomes.Missed)]);

        Assert.Equal([0, 10, 20, 30, 45, 60, 120], report.PickupDelays.Select(b => b.FromSeconds));
        Assert.Equal([10, 20, 30, 45, 60, 120, null], report.PickupDelays.Select(b => b.ToSeconds));
        Assert.All(report.PickupDelays, b => Assert.Equal(0, b.Count));
    }
}
