using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Routing;
using Permanence.Infrastructure;
using Permanence.Infrastructure.Notifications;

namespace Permanence.Integration.Tests.Channels;

/// <summary>The real Twilio SDK through <see cref="TwilioSmsSender"/>, against the loopback sink.</summary>
public sealed class TwilioSmsSenderTests : IAsyncLifetime
{
    internal const string AccountSid = "AC0123456789abcdef0123456789abcdef";
    internal const string AuthToken = "twilio-test-token-0123456789abcdef";
    internal const string FromNumber = "+33186950000";

    private ProviderSink _sink = null!;

    public async Task InitializeAsync() => _sink = await ProviderSink.StartAsync();

    public async Task DisposeAsync() => await _sink.DisposeAsync();

    internal static TwilioOptions Options(string baseUrl) => new()
    {
        AccountSid = AccountSid,
        AuthToken = AuthToken,
        FromNumber = FromNumber,
        BaseUrl = baseUrl,
    };

    internal static SmsNotification Sms() =>
        new("msg-1.0.c1", "althea", "msg-1", "+33612345678", "Althea : rappeler Mme Lefèvre — l’échéance. OK 1234 pour confirmer");

    private TwilioSmsSender Sender(TimeProvider? time = null, string? baseUrl = null) =>
        new(Options(baseUrl ?? _sink.BaseUrl), time ?? TimeProvider.System, SendGridEmailSenderTests.ClientTimeout);

    [Fact]
    public async Task Send_ThroughTheSdk_PostsTheFormWithBasicAuthAndReturnsTheSid()
    {
        var sms = Sms();

        var outcome = await Sender().SendAsync(sms, CancellationToken.None);

        var accepted = Assert.Single(_sink.Sms);
        Assert.StartsWith("SM", accepted.Sid, StringComparison.Ordinal);
        Assert.Equal(new DeliveryOutcome.Sent(accepted.Sid), outcome);
        var request = accepted.Request;
        Assert.Equal($"/2010-04-01/Accounts/{AccountSid}/Messages.json", request.Path);
        Assert.Equal((AccountSid, AuthToken), request.BasicCredentials);
        Assert.StartsWith("application/x-www-form-urlencoded", request.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal((sms.To, FromNumber, sms.Body), (accepted.To, accepted.From, accepted.Body));
        Assert.Equal(AccountSid, accepted.AccountSid);
    }

    [Fact]
    public async Task Send_ScriptedFaultsThenSuccess_MapsEachAnswerAndNeverShowsTheToken()
    {
        _sink.Script(ProviderKind.Twilio,
            SinkAnswer.Error(500, 20500, "Internal Server Error"),
            SinkAnswer.TooManyRequests(TimeSpan.FromSeconds(7)),
            SinkAnswer.Hang(SendGridEmailSenderTests.LongerThanTheTimeout),
            SinkAnswer.Error(400, 21211, $"The 'To' number {Sms().To} is not a valid phone number."),
            SinkAnswer.Error(400, 21614, $"'To' number {Sms().To} is not a mobile number"),
            SinkAnswer.Error(503, 20503, "Service Unavailable"),
            SinkAnswer.Error(408, 20408, "Request Timeout"),
            SinkAnswer.Error(401, 20003, "Authenticate"));
        var sender = Sender();
        var outcomes = new List<DeliveryOutcome>();
        var clock = Stopwatch.StartNew();

        for (var i = 0; i < 9; i++)
        {
            outcomes.Add(await sender.SendAsync(Sms(), CancellationToken.None));
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}: the hang was not cut by the client timeout");
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 500 (Twilio error 20500)"), outcomes[0]);
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 429: rate limited (Twilio error 20429)", TimeSpan.FromSeconds(7)), outcomes[1]);
        Assert.Equal(new DeliveryOutcome.Transient("timeout"), outcomes[2]);
        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 400 (Twilio error 21211): invalid 'To' number"), outcomes[3]);
        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 400 (Twilio error 21614): 'To' is not a mobile number"), outcomes[4]);
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 503 (Twilio error 20503)"), outcomes[5]);
        Assert.Equal(new DeliveryOutcome.Transient("HTTP 408 (Twilio error 20408)"), outcomes[6]);
        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 401 (Twilio error 20003): authentication failed"), outcomes[7]);
        Assert.Equal(new DeliveryOutcome.Sent(_sink.Sms.Single().Sid), outcomes[8]);
        Assert.Equal(9, _sink.RequestsFor(ProviderKind.Twilio).Count); // one request per attempt: the SDK does not retry
        Assert.Equal(1, _sink.AcceptedSms);
        Assert.All(outcomes, o =>
        {
            Assert.DoesNotContain(AuthToken, SendGridEmailSenderTests.Describe(o), StringComparison.Ordinal);
            Assert.DoesNotContain(Sms().To, SendGridEmailSenderTests.Describe(o), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Send_UnknownRejectionQuotingSecretsAndNumbers_KeepsNoneInTheError()
    {
        var sms = Sms();
        _sink.Script(ProviderKind.Twilio, SinkAnswer.Error(400, 21999, $"Account {AccountSid} (token {AuthToken}) cannot send from {FromNumber} to {sms.To}"));

        var outcome = await Sender().SendAsync(sms, CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Permanent("HTTP 400 (Twilio error 21999): Account *** (token ***) cannot send from *** to ***"), outcome);
    }

    [Fact]
    public async Task Send_ErrorThatIsNotTwilioJson_IsMappedByItsStatus()
    {
        _sink.Script(ProviderKind.Twilio,
            SinkAnswer.Raw(502, "<html>Bad Gateway</html>", "text/html"),
            SinkAnswer.Raw(404, "not here"));
        var sender = Sender();

        var gateway = await sender.SendAsync(Sms(), CancellationToken.None);
        var missing = await sender.SendAsync(Sms(), CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Transient("HTTP 502"), gateway);
        Assert.StartsWith("HTTP 404: ", Assert.IsType<DeliveryOutcome.Permanent>(missing).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_AcceptedButTheReplyIsNotAMessage_IsSentWithoutAnId()
    {
        _sink.Script(ProviderKind.Twilio, SinkAnswer.Raw(201, "{not json"));

        Assert.Equal(new DeliveryOutcome.Sent(null), await Sender().SendAsync(Sms(), CancellationToken.None));
    }

    [Fact]
    public async Task Send_429WithRetryAfterAsAnHttpDate_WaitsUntilThatDate()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-10-05T07:00:00Z"));
        _sink.Script(ProviderKind.Twilio, SinkAnswer.TooManyRequestsUntil(time.GetUtcNow().AddSeconds(90)));

        var outcome = await Sender(time).SendAsync(Sms(), CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(90), Assert.IsType<DeliveryOutcome.Transient>(outcome).RetryAfter);
    }

    [Fact]
    public async Task Send_NothingListening_IsTransientConnectionFailure()
    {
        var outcome = await Sender(baseUrl: ProviderSink.UnusedLoopbackUrl()).SendAsync(Sms(), CancellationToken.None);

        var transient = Assert.IsType<DeliveryOutcome.Transient>(outcome);
        Assert.StartsWith("connection failed", transient.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(AuthToken, transient.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(AccountSid, transient.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_CallerCancelsDuringAHang_Throws()
    {
        _sink.Script(ProviderKind.Twilio, SinkAnswer.Hang(SendGridEmailSenderTests.LongerThanTheTimeout));
        var sender = new TwilioSmsSender(Options(_sink.BaseUrl), TimeProvider.System, SendGridEmailSenderTests.LongerThanTheTimeout);
        using var cancel = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();

        var sending = sender.SendAsync(Sms(), cancel.Token);
        await _sink.WaitUntilAsync(s => s.Requests.Count == 1, TimeSpan.FromSeconds(5));
        await cancel.CancelAsync();

        // The SDK takes no token: the sender hands the caller's to the HTTP request below it.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}: the request ran on after the caller cancelled");
    }

    [Fact]
    public async Task Senders_OfTwoAccountsInOneProcess_EachUseTheirOwnCredentials()
    {
        var other = Options(_sink.BaseUrl);
        other.AccountSid = "AC" + new string('f', 32);
        other.AuthToken = "another-token-0123456789abcdef";

        await Task.WhenAll(Sender().SendAsync(Sms(), CancellationToken.None), new TwilioSmsSender(other, TimeProvider.System).SendAsync(Sms(), CancellationToken.None));

        Assert.Equal(
            [(AccountSid, AuthToken), (other.AccountSid, other.AuthToken)],
            _sink.Sms.Select(s => s.Request.BasicCredentials!.Value).OrderBy(c => c.User == AccountSid ? 0 : 1));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/2010-04-01/Accounts/AC1/Messages.json?PageSize=2")]
    [InlineData("http://127.0.0.1:8080/relay/", "http://127.0.0.1:8080/relay/2010-04-01/Accounts/AC1/Messages.json?PageSize=2")]
    [InlineData("https://twilio.relay.example", "https://twilio.relay.example/2010-04-01/Accounts/AC1/Messages.json?PageSize=2")]
    public async Task BaseUrlRewrite_ReplacesSchemeHostAndPort_KeepsPathAndQuery(string baseUrl, string expected)
    {
        var seen = new RecordingHandler();
        using var client = new HttpClient(new BaseUrlRewriteHandler(new Uri(baseUrl)) { InnerHandler = seen });

        using var _ = await client.GetAsync("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=2");

        Assert.Equal(expected, seen.Uri?.AbsoluteUri);
    }

    private sealed class RecordingHandler : HttpMessageHandler
    {
        public Uri? Uri { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Uri = request.RequestUri;
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.NoContent));
        }
    }
}
