using System.Net;
using System.Net.Sockets;

namespace Permanence.Infrastructure.Webhooks;

/// <summary>
/// Which addresses an outbound webhook may connect to (docs/guides/webhooks.md): not loopback, private (RFC 1918,
/// IPv6 unique-local), link-local (169.254.0.0/16 with the cloud metadata address, fe80::/10), CGNAT
/// (100.64.0.0/10), unspecified, multicast or reserved — IPv4 or IPv6, IPv4 embedded in IPv6 included.
/// </summary>
public static class NetworkGuard
{
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPublic(address.MapToIPv4());
        }
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => IsPublicV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => IsPublicV6(address),
            _ => false,
        };
    }

    private static bool IsPublicV4(byte[] b) => !(
        b[0] == 0 ||                                    // 0.0.0.0/8 "this network", unspecified
        b[0] == 10 ||                                   // 10.0.0.0/8
        (b[0] == 100 && b[1] >= 64 && b[1] <= 127) ||   // 100.64.0.0/10 CGNAT
        b[0] == 127 ||                                  // loopback
        (b[0] == 169 && b[1] == 254) ||                 // link-local, cloud metadata 169.254.169.254
        (b[0] == 172 && b[1] >= 16 && b[1] <= 31) ||    // 172.16.0.0/12
        (b[0] == 192 && b[1] == 0 && b[2] == 0) ||      // 192.0.0.0/24 IETF protocol assignments
        (b[0] == 192 && b[1] == 168) ||                 // 192.168.0.0/16
        (b[0] == 198 && (b[1] == 18 || b[1] == 19)) ||  // 198.18.0.0/15 benchmarking
        b[0] >= 224);                                   // multicast, reserved, broadcast

    private static bool IsPublicV6(IPAddress address)
    {
        if (address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.IPv6Loopback) ||
            address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal)
        {
            return false;
        }
        var b = address.GetAddressBytes();
        if (b.Take(12).All(x => x == 0))
        {
            return false; // IPv4-compatible (deprecated) ::a.b.c.d and the like
        }
        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)
        {
            // 64:ff9b::/96, the well-known NAT64 prefix: judged by the IPv4 address it carries. Anything else under
            // 64:ff9b::/32 (the local-use 64:ff9b:1::/48 places the IPv4 address elsewhere) is refused.
            return b[4..12].All(x => x == 0) && IsPublicV4(b[12..16]);
        }
        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return IsPublicV4(b[2..6]); // 2002::/16 6to4
        }
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x00 && b[3] == 0x00)
        {
            return false; // 2001::/32 Teredo: tunnels to an address we cannot see
        }
        return (b[0] & 0xe0) == 0x20; // 2000::/3 global unicast only
    }
}

/// <summary>The webhook's host resolved only to addresses a webhook may not reach.</summary>
public sealed class WebhookTargetRefusedException(string message) : Exception(message);
