using System.Diagnostics;
using System.Security.Cryptography;
using Permanence.Core.Routing;
using Permanence.Infrastructure.Webhooks;

namespace Permanence.Integration.Tests.Webhooks;

/// <summary>
/// With private networks not allowed (README, "Configuration": <c>Webhooks:AllowPrivateNetworks</c> is off outside
/// Development), a webhook whose host is or resolves to a loopback, private, link-local or reserved address is
/// refused before any connection: a permanent failure, at once, and the receiver on loopback gets nothing. The same
/// URLs with private networks allowed do reach it, so "gets nothing" is not for want of a route.
/// </summary>
public sealed class WebhookTargetGuardTests : IAsyncLifetime
{
    private const string Body = """{"type":"message.routed","id":"msg-1"}""";

    /// <summary>Far above a refusal (no connection, at most a hosts-file lookup); far below a connect timeout.</summary>
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(3);

    private readonly string _secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartOnBothLoopbacksAsync(_secret);

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private WebhookNotification To(string url) =>
        new("msg_guard", "althea", "msg-1", new Uri(url.Replace("{port}", _receiver.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)), _secret, Body);

    private static WebhookSender Guarded() => new(WebhookSender.CreateClient(allowPrivateNetworks: false, TimeSpan.FromSeconds(20)), TimeProvider.System);

    private static WebhookSender Open() => new(WebhookSender.CreateClient(allowPrivateNetworks: true, TimeSpan.FromSeconds(20)), TimeProvider.System);

    private async Task AssertRefusedAsync(string url)
    {
        var clock = Stopwatch.StartNew();
        var outcome = await Guarded().SendAsync(To(url), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();

        var permanent = Assert.IsType<DeliveryOutcome.Permanent>(outcome);
        Assert.StartsWith("target refused:", permanent.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < Fast, $"{url} took {clock.Elapsed} to be refused: it was not refused before connecting");
        Assert.Empty(_receiver.Requests);
    }

    [Theory]
    [InlineData("http://127.0.0.1:{port}/hooks")]
    [InlineData("http://localhost:{port}/hooks")]
    [InlineData("http://127.1:{port}/hooks")]
    [InlineData("http://2130706433:{port}/hooks")]
    [InlineData("http://0x7f000001:{port}/hooks")]
    [InlineData("http://[::ffff:127.0.0.1]:{port}/hooks")]
    public async Task SendAsync_LoopbackTarget_IsRefusedAndTheReceiverGetsNothing(string url)
    {
        await AssertRefusedAsync(url);

        // The control: allowed, the same URL reaches the receiver.
        Assert.IsType<DeliveryOutcome.Sent>(await Open().SendAsync(To(url), CancellationToken.None));
        Assert.Null(Assert.Single(_receiver.Requests).VerificationError);
    }

    [Fact]
    public async Task SendAsync_IPv6LoopbackTarget_IsRefusedAndTheReceiverGetsNothing()
    {
        await AssertRefusedAsync("http://[::1]:{port}/hooks");

        if (_receiver.ListensOnIPv6Loopback)
        {
            Assert.IsType<DeliveryOutcome.Sent>(await Open().SendAsync(To("http://[::1]:{port}/hooks"), CancellationToken.None));
            Assert.Single(_receiver.Requests);
        }
    }

    [Theory]
    [InlineData("http://10.0.0.5/hooks")]
    [InlineData("http://169.254.169.254/latest/meta-data")]
    [InlineData("http://[fd00:ec2::254]/latest/meta-data")]
    [InlineData("http://192.168.1.1/hooks")]
    [InlineData("http://172.16.0.1/hooks")]
    [InlineData("http://100.64.0.1/hooks")]
    [InlineData("http://0.0.0.0:{port}/hooks")]
    [InlineData("http://[::]:{port}/hooks")]
    [InlineData("http://[fe80::1]/hooks")]
    [InlineData("http://[64:ff9b::a9fe:a9fe]/latest/meta-data")]
    public async Task SendAsync_PrivateOrReservedTarget_IsRefusedAtOnce(string url) => await AssertRefusedAsync(url);

    [Fact]
    public async Task SendAsync_HostnameResolvingToLoopback_TheRefusalSaysWhy()
    {
        var outcome = await Guarded().SendAsync(To("http://localhost:{port}/hooks"), CancellationToken.None);

        var permanent = Assert.IsType<DeliveryOutcome.Permanent>(outcome);
        Assert.Equal("target refused: the webhook host resolves to a loopback, private, link-local or reserved address", permanent.Error);
    }
}
