using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Webhooks;

namespace Permanence.Integration.Tests.Webhooks;

/// <summary>
/// Outbound webhooks against a receiver on loopback (docs/guides/webhooks.md; README, "Configuration",
/// <c>Webhooks:AllowPrivateNetworks</c>, which these tests turn on): Standard Webhooks headers the receiver's library
/// verifies, the body as given, the id stable across retries, redirects not followed, and each answer turned into
/// the outcome routing acts on.
/// </summary>
public sealed class WebhookSenderTests : IAsyncLifetime
{
    /// <summary>Non-ASCII, markup and an emoji: a body re-encoded or re-serialised on the way would not be byte-identical.</summary>
    private const string Body =
        """{"type":"message.routed","id":"msg-1","clientId":"althea","caller":{"name":"Zoë <b>d'Arc</b>"},"text":"Rappeler Mme Durand — «urgent» & vite 📞","step":0}""";

    private const string WebhookId = "msg_0123456789abcdef0123456789abcdef";

    private readonly string _secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Near the real clock (the receiver's library refuses timestamps 5 minutes away), on a whole second.</summary>
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync(_secret);

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private WebhookNotification Notification(string path) => new(WebhookId, "althea", "msg-1", _receiver.Url(path), _secret, Body);

    private WebhookSender Sender(TimeSpan? timeout = null) => new(WebhookSender.CreateClient(allowPrivateNetworks: true, timeout ?? TimeSpan.FromSeconds(20)), _time);

    [Fact]
    public async Task SendAsync_ToAReceiverAnswering200_PostsTheBodyAsIsSignedWithTheGivenId()
    {
        var outcome = await Sender().SendAsync(Notification("/crm-hooks"), CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Sent("HTTP 200"), outcome);
        var request = Assert.Single(_receiver.Requests);
        Assert.Null(request.VerificationError);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/crm-hooks", request.Path);
        Assert.Equal(Encoding.UTF8.GetBytes(Body), request.Body);
        Assert.Equal("application/json; charset=utf-8", request.Headers["Content-Type"]);
        Assert.Equal(WebhookId, request.Headers["webhook-id"]);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture), request.Headers["webhook-timestamp"]);
        Assert.StartsWith("Permanence-Webhooks/", request.Headers["User-Agent"], StringComparison.Ordinal);

        // The signature as docs/guides/webhooks.md spells it, computed here without the library.
        var key = Convert.FromBase64String(_secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{WebhookId}.{request.Headers["webhook-timestamp"]}.").Concat(request.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), request.Headers["webhook-signature"]);
    }

    [Fact]
    public async Task SendAsync_SameDeliveryAfterA500_KeepsTheWebhookIdAndSignsWithAFreshTimestamp()
    {
        _receiver.Script("/hooks", new ScriptedResponse(500));
        var sender = Sender();
        var webhook = Notification("/hooks");

        var first = await sender.SendAsync(webhook, CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(90));
        var second = await sender.SendAsync(webhook, CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Transient("HTTP 500"), first);
        Assert.Equal(new DeliveryOutcome.Sent("HTTP 200"), second);
        var requests = _receiver.RequestsTo("/hooks");
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Null(r.VerificationError));
        Assert.All(requests, r => Assert.Equal(WebhookId, r.Headers["webhook-id"]));
        var timestamps = requests.Select(r => long.Parse(r.Headers["webhook-timestamp"], CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(90, timestamps[1] - timestamps[0]);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), timestamps[1]);
        Assert.NotEqual(requests[0].Headers["webhook-signature"], requests[1].Headers["webhook-signature"]);
    }

    [Theory]
    [InlineData(200, "Sent")]
    [InlineData(201, "Sent")]
    [InlineData(202, "Sent")]
    [InlineData(204, "Sent")]
    [InlineData(408, "Transient")]
    [InlineData(429, "Transient")]
    [InlineData(500, "Transient")]
    [InlineData(502, "Transient")]
    [InlineData(503, "Transient")]
    [InlineData(504, "Transient")]
    [InlineData(400, "Permanent")]
    [InlineData(401, "Permanent")]
    [InlineData(403, "Permanent")]
    [InlineData(404, "Permanent")]
    [InlineData(410, "Permanent")]
    [InlineData(413, "Permanent")]
    [InlineData(422, "Permanent")]
    public async Task SendAsync_ReceiverStatus_GivesTheOutcome(int status, string expected)
    {
        _receiver.Script("/hooks", new ScriptedResponse(status));

        var outcome = await Sender().SendAsync(Notification("/hooks"), CancellationToken.None);

        Assert.Equal(expected, outcome.GetType().Name);
        Assert.Contains($"HTTP {status}", outcome switch
        {
            DeliveryOutcome.Sent sent => sent.ProviderId,
            DeliveryOutcome.Transient transient => transient.Error,
            DeliveryOutcome.Permanent permanent => permanent.Error,
            _ => null,
        }, StringComparison.Ordinal);
        Assert.Null(Assert.Single(_receiver.Requests).VerificationError);
    }

    [Fact]
    public async Task SendAsync_429WithRetryAfterSeconds_IsTransientAfterThatDelay()
    {
        _receiver.Script("/hooks", ScriptedResponse.With(429, "Retry-After", "120"));

        var outcome = await Sender().SendAsync(Notification("/hooks"), CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Transient("HTTP 429", TimeSpan.FromSeconds(120)), outcome);
    }

    [Fact]
    public async Task SendAsync_503WithRetryAfterDate_IsTransientUntilThatDate()
    {
        var date = _time.GetUtcNow().AddSeconds(75).ToString("R", CultureInfo.InvariantCulture);
        _receiver.Script("/hooks", ScriptedResponse.With(503, "Retry-After", date));

        var outcome = await Sender().SendAsync(Notification("/hooks"), CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Transient("HTTP 503", TimeSpan.FromSeconds(75)), outcome);
    }

    [Fact]
    public async Task SendAsync_503WithoutRetryAfter_IsTransientWithNoDelaySaid()
    {
        _receiver.Script("/hooks", new ScriptedResponse(503));

        var outcome = await Sender().SendAsync(Notification("/hooks"), CancellationToken.None);

        Assert.Equal(new DeliveryOutcome.Transient("HTTP 503", null), outcome);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(303)]
    [InlineData(307)]
    [InlineData(308)]
    public async Task SendAsync_Redirect_IsNotFollowedAndIsPermanent(int status)
    {
        _receiver.Script("/hooks", ScriptedResponse.With(status, "Location", _receiver.Url("/elsewhere").ToString()));

        var outcome = await Sender().SendAsync(Notification("/hooks"), CancellationToken.None);

        var permanent = Assert.IsType<DeliveryOutcome.Permanent>(outcome);
        Assert.Equal($"HTTP {status}: redirects are not followed", permanent.Error);
        Assert.Single(_receiver.RequestsTo("/hooks"));
        Assert.Empty(_receiver.RequestsTo("/elsewhere"));
    }

    [Fact]
    public async Task SendAsync_ReceiverThatNeverAnswers_IsTransientOnceTheTimeoutPasses()
    {
        _receiver.Script("/hooks", ScriptedResponse.Hangs);
        var sender = Sender(TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();

        var outcome = await sender.SendAsync(Notification("/hooks"), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        var transient = Assert.IsType<DeliveryOutcome.Transient>(outcome);
        Assert.StartsWith("timeout", transient.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), $"gave up after {clock.Elapsed}, before the 1 s timeout");
        Assert.Single(_receiver.Requests);
    }

    [Fact]
    public async Task SendAsync_CallerCancels_ThrowsRatherThanReportingATimeout()
    {
        _receiver.Script("/hooks", ScriptedResponse.Hangs);
        using var cancellation = new CancellationTokenSource();

        var sending = Sender().SendAsync(Notification("/hooks"), cancellation.Token);
        await _receiver.FirstRequest.WaitAsync(TimeSpan.FromSeconds(30));
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task SendAsync_NothingListening_IsTransient()
    {
        var url = new Uri($"http://127.0.0.1:{WebhookReceiver.FreePort()}/hooks");

        var outcome = await Sender().SendAsync(Notification("/hooks") with { Url = url }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        var transient = Assert.IsType<DeliveryOutcome.Transient>(outcome);
        Assert.StartsWith("connection failed", transient.Error, StringComparison.Ordinal);
    }
}
