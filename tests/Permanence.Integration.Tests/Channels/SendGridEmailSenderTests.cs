using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Routing;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Notifications;

namespace Permanence.Integration.Tests.Channels;

/// <summary>The real SendGrid SDK through <see cref="SendGridEmailSender"/>, against the loopback sink.</summary>
public sealed class SendGridEmailSenderTests : IAsyncLifetime
{
    internal const string ApiKey = "SG.test-sendgrid-key.0123456789abcdefghij";

    /// <summary>Short, so the hang test stays short; the hang itself is bounded well above it.</summary>
    internal static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(1);

    internal static readonly TimeSpan LongerThanTheTimeout = TimeSpan.FromSeconds(10);

    private ProviderSink _sink = null!;

    public async Task InitializeAsync() => _sink = await ProviderSink.StartAsync();

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    internal static SendGridOptions Options(string baseUrl) => new()
    {
        ApiKey = ApiKey,
        BaseUrl = baseUrl,
        FromEmail = "Permanence Accueil <permanence@agency.example>",
    };

    internal static EmailNotification Email() => new(
        DeliveryId: "msg-1.0.c1",
        ClientId: "althea",
        MessageId: "msg-1",
        To: "jeanne.martin@example.test",
        ToName: "Jeanne Martin-Dupré",
        Subject: "Nouveau message : rappeler Mme Lefèvre — l’appelante",
        Html: "<p>Rappeler <b>Mme Lefèvre</b> au sujet de l’échéance.</p>",
        Text: "Rappeler Mme Lefèvre au sujet de l’échéance.",
        Locale: "fr-FR");

    private SendGridEmailSender Sender(TimeProvider? time = null, string? baseUrl = null) =>
        new(Options(baseUrl ?? _sink.BaseUrl), time ?? TimeProvider.System, ClientTimeout);

    [Fact]
    public async Task Send_ThroughTheSdk_ReachesSendGridsApiWithTheKeyAddressesSubjectAndBothBodiesInUtf8()
    {
        var email = Email();

        var outcome = await Sender().SendAsync(email, CancellationToken.None);

        var accepted = Assert.Single(_sink.Emails);
        Assert.Equal(new DeliveryOutcome.Sent(accepted.ProviderId), outcome);
        var request = accepted.Request;
        Assert.Equal("/v3/mail/send", request.Path);
        Assert.Equal($"Bearer {ApiKey}", request.Header("Authorization"));
        Assert.StartsWith("application/json", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(("permanence@agency.example", "Permanence Accueil"), (accepted.From, accepted.FromName));
        Assert.Equal((email.To, email.ToName), (accepted.To, accepted.ToName));
        Assert.Equal(email.Subject, accepted.Subject);
        Assert.Equal(email.Text, accepted.Text);
        Assert.Equal(email.Html, accepted.Html);
        // The plain text first: SendGrid requires text/plain before text/html.
        Assert.Equal("text/plain", (string?)request.Json!["content"]![0]!["type"]);
        Assert.Equal(new Dictionary<string, string> { [SendGridEmailSender.MessageIdArg] = email.MessageId }, accepted.CustomArgs);
    }

    [Fact]
    public async Task Send_WithoutARecipientName_SendsTheBareAddress()
    {
        Assert.IsType<DeliveryOutcome.Sent>(await Sender().SendAsync(Email() with { ToName = null }, CancellationToken.None));

        var accepted = Assert.Single(_sink.Emails);
        Assert.Equal(("jeanne.martin@example.test", null), (accepted.To, accepted.ToName));
    }

    [Fact]
    public async Task Send_ScriptedFaultsThenSuccess_MapsEachAnswerAndNeverShowsTheKey()
    {
        _sink.Script(ProviderKind.SendGrid,
            SinkAnswer.Error(500),
            SinkAnswer.TooManyRequests(TimeSpan.FromSeconds(7)),
            SinkAnswer.Hang(LongerThanTheTimeout),
            SinkAnswer.Error(400, message: "Does not contain a valid address."),
            SinkAnswer.Error(503),
            SinkAnswer.Error(408),
            SinkAnswer.Error(401, message: "The provided authorization grant is invalid, expired, or revoked"));
        var sender = Sender();
        var outcomes = new List<DeliveryOutcome>();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < 8; i++)
        {
            outcomes.Add(await sender.SendAsync(Email(), CancellationToken.None));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}: the hang was not cut by the client timeout");
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 500"), outcomes[0]);
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 429: rate limited", TimeSpan.FromSeconds(7)), outcomes[1]);
        Assert.Equal(new DeliveryOutcome.Transient("timeout"), outcomes[2]);
        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 400: Does not contain a valid address."), outcomes[3]);
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 503"), outcomes[4]);
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 408"), outcomes[5]);
        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 401: The provided authorization grant is invalid, expired, or revoked"), outcomes[6]);
        Assert.Equal(new DeliveryOutcome.Sent(_sink.Emails.Single().ProviderId), outcomes[7]);
        Assert.Equal(8, _sink.RequestsFor(ProviderKind.SendGrid).Count); // one request per attempt: the SDK does not retry
        Assert.Equal(1, _sink.AcceptedEmails);
        Assert.All(outcomes, o => Assert.DoesNotContain(ApiKey, Describe(o), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Send_RejectionQuotingTheKeyAndTheRecipient_KeepsNeitherInTheError()
    {
        var email = Email();
        _sink.Script(ProviderKind.SendGrid, SinkAnswer.Error(403, message: $"Key {ApiKey} may not send to {email.To} ({email.ToName})\n\tsee   the docs"));

        var outcome = await Sender().SendAsync(email, CancellationToken.None);

        var permanent = Assert.IsType<DeliveryOutcome.Permanent>(outcome);
        Assert.Equal("HTTP 403: Key *** may not send to *** (***) see the docs", permanent.Error);
    }

    [Fact]
    public async Task Send_RejectionThatIsNotSendGridsJson_SaysTheStatus()
    {
        _sink.Script(ProviderKind.SendGrid, SinkAnswer.Raw(413, "<html>Request Entity Too Large</html>", "text/html"));

        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 413: rejected"), await Sender().SendAsync(Email(), CancellationToken.None));
    }

    [Fact]
    public async Task Send_429WithRetryAfterAsAnHttpDate_WaitsUntilThatDate()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-10-05T07:00:00Z"));
        _sink.Script(ProviderKind.SendGrid, SinkAnswer.TooManyRequestsUntil(time.GetUtcNow().AddSeconds(90)));

        var outcome = await Sender(time).SendAsync(Email(), CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(90), Assert.IsType<DeliveryOutcome.Transient>(outcome).RetryAfter);
    }

    [Fact]
    public async Task Send_NothingListening_IsTransientConnectionFailure()
    {
        var outcome = await Sender(baseUrl: ProviderSink.UnusedLoopbackUrl()).SendAsync(Email(), CancellationToken.None);

        var transient = Assert.IsType<DeliveryOutcome.Transient>(outcome);
        Assert.StartsWith("connection failed", transient.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, transient.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_CallerCancelsDuringAHang_Throws()
    {
        _sink.Script(ProviderKind.SendGrid, SinkAnswer.Hang(LongerThanTheTimeout));
        var sender = new SendGridEmailSender(Options(_sink.BaseUrl), TimeProvider.System, LongerThanTheTimeout);
        using var cancel = new CancellationTokenSource();

        var sending = sender.SendAsync(Email(), cancel.Token);
        await _sink.WaitUntilAsync(s => s.Requests.Count == 1, TimeSpan.FromSeconds(5));
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
    }

    internal static string Describe(DeliveryOutcome outcome) => outcome switch
    {
        DeliveryOutcome.Sent sent => sent.ProviderId ?? "",
        DeliveryOutcome.Transient transient => transient.Error,
        DeliveryOutcome.Permanent permanent => permanent.Error,
        _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
    };
}
