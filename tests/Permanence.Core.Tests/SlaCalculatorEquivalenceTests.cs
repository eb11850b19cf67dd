using System.Text.Json;
using CsCheck;
using NodaTime;
using Permanence.Core.Calls;
using Permanence.Core.Configuration;
using Permanence.Core.Messages;
using Permanence.Core.Routing;
using Permanence.Core.Sla;

namespace Permanence.Core.Tests;

/// <summary>
/// The calculator's fast path (band tables per local day, cached zone offsets, pickup histograms) against the
/// straightforward implementation it replaced (<see cref="SlaCalculatorOracle"/>): the same report, to the last
/// decimal, over random months of October 2026 (Paris leaves summer time on the 25th at 03:00) with random bands
/// (overlapping, passing midnight, on the DST hour), holidays, closures, mid-month versions in other zones, and calls
/// and messages on band edges, midnights and pickup or transmission thresholds.
/// </summary>
public class SlaCalculatorEquivalenceTests
{
    private static readonly YearMonth October = new(2026, 10);
    private static readonly LocalDate FirstDay = new(2026, 10, 1);
    private static readonly DateTimeZone Paris = DateTimeZoneProviders.Tzdb["Europe/Paris"];
    private static readonly DateTimeZone[] Zones = [Paris, Paris, Paris, DateTimeZoneProviders.Tzdb["Europe/London"], DateTimeZoneProviders.Tzdb["America/Toronto"]];
    private static readonly string[] BandNames = ["business", "evening", "saturday", "night", "sunday"];

    // Band edges: midnight, the DST hour of the 25th, the sample's hours, and one minute before midnight.
    private static readonly LocalTime[] Edges =
        [new(0, 0), new(2, 0), new(2, 30), new(3, 0), new(8, 30), new(9, 0), new(12, 0), new(18, 30), new(22, 0), new(23, 59)];

    private static readonly ContractVersion Althea = Samples.Compile(Samples.AltheaJson());

    // The bench's targets: transmission in the evening too, and a target on a band some calendars lack.
    private static readonly ContractVersion AltheaMoreTargets = Samples.Compile(MoreTargets());

    private static System.Text.Json.Nodes.JsonObject MoreTargets()
    {
        var json = Samples.AltheaJson();
        var targets = json["sla"]!["targets"]!.AsArray();
        targets[1]!["transmissionMinutes"] = 20;
        targets[1]!["transmissionRate"] = 0.90;
        targets.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["band"] = "saturday", ["answerRate"] = 0.90, ["serviceLevelSeconds"] = 30, ["serviceLevel"] = 0.75, ["transmissionMinutes"] = 15, ["transmissionRate"] = 0.90,
        });
        json["calendar"]!["bands"]!.AsArray().Add(new System.Text.Json.Nodes.JsonObject { ["name"] = "unused", ["days"] = new System.Text.Json.Nodes.JsonArray("Sun"), ["from"] = "01:00", ["to"] = "01:30" });
        json["sla"]!["shortAbandonSeconds"] = 0;
        return json;
    }

    private sealed record CalendarSpec(DateTimeZone Zone, Band[] Bands, int[] HolidayDays, (int From, int Length)[] Closures)
    {
        public ClientCalendar Build()
        {
            var holidays = HolidayDays.Select(d => FirstDay.PlusDays(d)).ToHashSet();
            var closures = Closures.Select(c => new Closure(FirstDay.PlusDays(c.From), FirstDay.PlusDays(c.From + c.Length), null)).ToList();
            return new ClientCalendar(Zone, Bands, "closed", holidays.Contains, closures);
        }
    }

    private static readonly Gen<LocalTime> EdgeTimes = Gen.Int[0, Edges.Length - 1].Select(i => Edges[i]);

    // Validation forbids overlapping bands, but ClientCalendar gives the first that matches: built directly to cover that too.
    private static readonly Gen<Band> Bands = Gen.Select(Gen.Int[0, BandNames.Length - 1], Gen.Int[1, 127], EdgeTimes, EdgeTimes,
        (name, days, from, to) => new Band(BandNames[name], new WeeklyWindow(
            Enumerable.Range(1, 7).Where(d => (days & (1 << (d - 1))) != 0).Select(d => (IsoDayOfWeek)d), from, to)));

    // Day offsets from 1 October: the 30 September and 1 November matter for bands passing midnight.
    private static readonly Gen<CalendarSpec> Calendars = Gen.Select(
        Gen.Int[0, Zones.Length - 1].Select(i => Zones[i]),
        Bands.Array[0, 4],
        Gen.Int[-1, 31].Array[0, 4],
        Gen.Select(Gen.Int[-2, 31], Gen.Int[0, 3]).Array[0, 2],
        (zone, bands, holidays, closures) => new CalendarSpec(zone, bands, holidays, closures));

    private static readonly Gen<Instant> Instants = Gen.Select(
        Gen.Int[-1, 31],
        Gen.Frequency((3, EdgeTimes.Select(t => t.NanosecondOfDay)), (2, Gen.Long[0, NodaConstants.NanosecondsPerDay - 1])),
        Gen.OneOf(0L, 0L, 0L, -1L, 1L, -1_000_000L, 1_000_000L, -60_000_000_000L),
        Gen.Bool,
        (day, nanos, delta, later) =>
        {
            var local = FirstDay.PlusDays(day).AtMidnight().PlusNanoseconds(nanos + delta);
            var mapping = Paris.MapLocal(local);
            // On the 25th, 02:xx happens twice: either occurrence; in the spring gap, the lenient mapping.
            return mapping.Count switch
            {
                0 => local.InZoneLeniently(Paris).ToInstant(),
                1 => mapping.Single().ToInstant(),
                _ => (later ? mapping.Last() : mapping.First()).ToInstant(),
            };
        });

    // Pickup delays in ms: negative (clock skew), on the bucket and service-level edges, common, and beyond the dense range.
    private static readonly Gen<long> PickupNanos = Gen.Select(
        Gen.Frequency(
            (1, Gen.Long[-5_000, -1]),
            (3, Gen.OneOf(0L, 9_999L, 10_000L, 19_999L, 20_000L, 20_001L, 30_000L, 30_001L, 44_999L, 60_000L, 120_000L)),
            (4, Gen.Long[0, 60_000]),
            (1, Gen.Long[60_000, 7_200_000])),
        Gen.Frequency((4, Gen.Const(0L)), (1, Gen.Long[-999_999, 999_999])),
        (ms, nanos) => ms * 1_000_000 + nanos);

    private static int _callId;

    private static readonly Gen<CallRecord> Calls = Gen.Select(
        Instants,
        Gen.Frequency((12, Gen.Const(CallDirections.Inbound)), (1, Gen.Const(CallDirections.Outbound))),
        Gen.Int[0, 30],
        Gen.Int[0, 5],
        PickupNanos,
        Gen.Long[0, 12_000],
        (started, direction, noStart, kind, pickup, endMs) => new CallRecord
        {
            Provider = "test",
            CallId = $"c{Interlocked.Increment(ref _callId)}",
            Direction = direction,
            StartedAt = noStart == 0 ? null : started,
            AnsweredAt = kind <= 1 ? started.PlusNanoseconds(pickup) : null,
            EndedAt = kind == 5 ? null : started + Duration.FromMilliseconds(endMs),
            ReportedOutcome = kind switch
            {
                0 => CallOutcomes.Answered,
                1 => CallOutcomes.Abandoned, // answered though reported abandoned: answered wins
                2 or 5 => CallOutcomes.Abandoned,
                3 => CallOutcomes.Missed,
                _ => CallOutcomes.Voicemail,
            },
        });

    private static readonly string[] Scenarios = ["rdv", "resultats", "urgence"];

    private sealed record MessageCase(Message Message, MessageDeliveries? Deliveries);

    // Delivery delays around the 10, 15 and 20 min transmission targets.
    private static readonly Gen<long> DeliveryMs = Gen.Frequency(
        (3, Gen.OneOf(599_999L, 600_000L, 600_001L, 900_000L, 900_001L, 1_200_000L, 1_200_001L)),
        (2, Gen.Long[0, 2_400_000]));

    private static readonly Gen<MessageCase> Messages = Gen.Select(
        Instants,
        Gen.Int[0, Scenarios.Length - 1],
        Gen.Enum<Priority>(),
        Gen.Int[0, 9],
        Gen.Int[0, 4],
        DeliveryMs,
        DeliveryMs,
        (taken, scenario, priority, complete, shape, first, second) =>
        {
            var id = $"m{Interlocked.Increment(ref _callId)}";
            var message = new Message
            {
                Id = id,
                ClientId = "althea",
                Scenario = Scenarios[scenario],
                TakenAt = taken,
                ReceivedAt = taken,
                Priority = priority,
                Qualification = new Qualification(complete > 0, complete > 0 ? [] : ["callerPhone"], []),
                ConfigurationVersion = 1,
                RequestHash = "h",
                SubmittedBy = "op",
            };
            StepRecord Step(int step, string status) => new() { MessageId = id, ClientId = "althea", Step = step, Status = status, Contacts = ["accueil"], StartedAt = taken };
            DeliveryAttempt Attempt(int step, string status, long? afterMs) => new()
            {
                MessageId = id, ClientId = "althea", Step = step, ContactId = "accueil", Channel = "email", Attempt = 0, Status = status,
                CreatedAt = taken, SentAt = afterMs is { } ms ? taken + Duration.FromMilliseconds(ms) : null,
            };
            MessageDeliveries? deliveries = shape switch
            {
                0 => null,
                1 => new([Step(0, StepStatus.Ran)], [Attempt(0, DeliveryStatus.Failed, null), Attempt(0, DeliveryStatus.Sent, first), Attempt(0, DeliveryStatus.Sent, second)]),
                2 => new([Step(0, StepStatus.Skipped), Step(1, StepStatus.Ran)], [Attempt(1, DeliveryStatus.Sent, first), Attempt(0, DeliveryStatus.Sent, second)]),
                3 => new([Step(0, StepStatus.Ran), Step(RoutingService.FallbackStep, StepStatus.Ran)],
                    [Attempt(0, DeliveryStatus.Failed, null), Attempt(RoutingService.FallbackStep, DeliveryStatus.Sent, first)]),
                _ => new([Step(1, StepStatus.Ran), Step(0, StepStatus.Ran)], [Attempt(1, DeliveryStatus.Sent, first), Attempt(0, DeliveryStatus.Sent, second)]),
            };
            return new MessageCase(message, deliveries);
        });

    private sealed record MonthCase(ContractHistory History, CallRecord[] Calls, MessageCase[] Messages)
    {
        public override string ToString() =>
            $"{History.Versions.Count} versions ({string.Join("; ", History.Versions.Select(v => $"from {v.EffectiveFrom} in {v.Zone.Id}: " +
                string.Join(", ", v.Calendar.Bands.Select(b => $"{b.Name} {b.Window.From}-{b.Window.To}"))))}), {Calls.Length} calls, {Messages.Length} messages";
    }

    // One or two versions: the first may start after 1 October (calls before it use the month's last version), the
    // second mid-month, possibly in another zone (then the month is read in that zone).
    private static readonly Gen<MonthCase> Months = Gen.Select(
        Gen.Select(Calendars, Gen.Int[-30, 3], Gen.Bool),
        Gen.Select(Calendars, Gen.Int[1, 30], Gen.Bool),
        Gen.Bool,
        Calls.Array[0, 300],
        Messages.Array[0, 40],
        (first, second, two, calls, messages) =>
        {
            ContractVersion Version(CalendarSpec spec, int version, int effective, bool moreTargets) =>
                (moreTargets ? AltheaMoreTargets : Althea) with
                {
                    Version = version,
                    EffectiveFrom = FirstDay.PlusDays(effective),
                    Zone = spec.Zone,
                    Calendar = spec.Build(),
                };
            var versions = new List<ContractVersion> { Version(first.Item1, 1, first.Item2, first.Item3) };
            if (two)
            {
                versions.Add(Version(second.Item1, 2, second.Item2, second.Item3));
            }
            return new MonthCase(new ContractHistory(versions), calls, messages);
        });

    [Fact]
    public void FastCalculator_GivesTheOraclesReport_OverRandomMonths()
    {
        Months.Sample(month =>
        {
            var deliveries = month.Messages.Where(m => m.Deliveries is not null).ToDictionary(m => m.Message.Id, m => m.Deliveries!);
            MessageDeliveries Deliveries(string id) => deliveries.GetValueOrDefault(id) ?? MessageDeliveries.None;
            var messages = month.Messages.Select(m => m.Message).ToList();

            var expected = JsonSerializer.Serialize(SlaCalculatorOracle.Calculate(month.History, October, month.Calls, messages, Deliveries));
            var actual = JsonSerializer.Serialize(SlaCalculator.Calculate(month.History, October, month.Calls, messages, Deliveries));
            var streamed = JsonSerializer.Serialize(SlaCalculator.CalculateAsync(
                month.History,
                October,
                month.Calls.ToAsyncEnumerable(),
                messages.Select(m => new MessageIndexEntry(m.Id, m.TakenAt, m.Priority, m.Scenario, m.Qualification.Complete)).ToAsyncEnumerable(),
                id => Task.FromResult(Deliveries(id)),
                CancellationToken.None).AsTask().GetAwaiter().GetResult());

            Assert.Equal(expected, actual);
            Assert.Equal(expected, streamed);
        }, iter: 150, threads: 1);
    }
}
