using System.Net;
using Permanence.Infrastructure.Webhooks;

namespace Permanence.Integration.Tests.Webhooks;

/// <summary>
/// Which addresses a webhook may connect to (README, "Configuration", <c>Webhooks:AllowPrivateNetworks</c>): public
/// unicast only; an IPv4 address embedded in IPv6 (mapped, NAT64, 6to4) is judged as the IPv4 address it carries.
/// </summary>
public sealed class NetworkGuardTests
{
    [Theory]
    [InlineData("64:ff9b:1:a9fe:a9:fe00:808:808")] // local-use NAT64 (64:ff9b:1::/48): the IPv4 address is not where /96 puts it
    [InlineData("64:ff9b::1:a00:1")] // under 64:ff9b::/32 but not the /96 form
    [InlineData("127.0.0.1")] // loopback
    [InlineData("127.255.255.254")]
    [InlineData("10.1.2.3")] // RFC 1918
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")] // link-local, cloud metadata
    [InlineData("100.64.0.1")] // CGNAT
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")] // unspecified
    [InlineData("0.1.2.3")] // "this network"
    [InlineData("192.0.0.1")] // IETF protocol assignments
    [InlineData("198.18.0.1")] // benchmarking
    [InlineData("224.0.0.1")] // multicast
    [InlineData("240.0.0.1")] // reserved
    [InlineData("255.255.255.255")] // broadcast
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")] // link-local
    [InlineData("fec0::1")] // site-local (deprecated)
    [InlineData("fc00::1")] // unique-local
    [InlineData("fd00:ec2::254")] // unique-local, the AWS IPv6 metadata address
    [InlineData("ff02::1")] // multicast
    [InlineData("::ffff:127.0.0.1")] // IPv4-mapped
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::10.0.0.1")] // IPv4-compatible (deprecated)
    [InlineData("64:ff9b::a00:1")] // NAT64 of 10.0.0.1
    [InlineData("64:ff9b::7f00:1")] // NAT64 of 127.0.0.1
    [InlineData("2002:a00:1::")] // 6to4 of 10.0.0.1
    [InlineData("2002:a9fe:a9fe::1")] // 6to4 of 169.254.169.254
    [InlineData("2001:0:4136:e378:8000:63bf:3fff:fdd2")] // Teredo
    public void IsPublic_LocalPrivateOrReservedAddress_IsNot(string address) =>
        Assert.False(NetworkGuard.IsPublic(IPAddress.Parse(address)), $"{address} was judged public");

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.32.0.1")] // just above 172.16.0.0/12
    [InlineData("172.15.255.255")] // just below it
    [InlineData("100.128.0.1")] // just above 100.64.0.0/10
    [InlineData("100.63.255.255")] // just below it
    [InlineData("169.253.255.255")]
    [InlineData("192.169.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("223.255.255.254")] // the last below multicast
    [InlineData("2606:4700::1111")]
    [InlineData("2a00:1450:4007:80f::200e")]
    [InlineData("::ffff:8.8.8.8")] // IPv4-mapped of a public address
    [InlineData("64:ff9b::808:808")] // NAT64 of 8.8.8.8
    [InlineData("2002:808:808::1")] // 6to4 of 8.8.8.8
    public void IsPublic_PublicAddress_Is(string address) =>
        Assert.True(NetworkGuard.IsPublic(IPAddress.Parse(address)), $"{address} was judged not public");
}
