"""ARM template functions: CIDR (`parseCidr`, `cidrSubnet`, `cidrHost`), for IPv4 and IPv6.

Addresses are written as .NET writes them: dotted quads, and RFC 5952 compressed IPv6
(`fdad:3236:5555::`), which is what Python's `ipaddress` writes too.
"""
from __future__ import annotations

import ipaddress
import re
from typing import Any, Union

from ..evaluator import CallContext
from ..registry import FunctionTable, check_type

TABLE = FunctionTable()

Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]

# An address, one '/', and a prefix length in decimal: no netmask form, no zone id, no spaces.
_CIDR = re.compile(r"(?P<address>[0-9A-Fa-f:.]+)/(?P<prefix>\d{1,3})")


def parse_network(ctx: CallContext, text: str, arg: int = 0) -> Network:
    """The network of a CIDR string; host bits in the address are cleared (`10.144.1.5/20` -> `10.144.0.0/20`)."""
    match = _CIDR.fullmatch(text)
    if match is None:
        raise ctx.error(f"'{text}' is not a valid CIDR range: expected an IP address, '/' and a prefix length", arg=arg)
    try:
        address = ipaddress.ip_address(match["address"])
    except ValueError:
        raise ctx.error(f"'{text}' is not a valid CIDR range: '{match['address']}' is not an IP address", arg=arg) from None
    prefix = int(match["prefix"])
    if prefix > address.max_prefixlen:
        raise ctx.error(
            f"'{text}' is not a valid CIDR range: the prefix length must be between 0 and {address.max_prefixlen}", arg=arg
        )
    return ipaddress.ip_network((address, prefix), strict=False)


def _address(net: Network, value: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address `value` in the family of `net` (an int alone cannot say whether it is IPv4 or IPv6)."""
    return ipaddress.IPv4Address(value) if net.version == 4 else ipaddress.IPv6Address(value)


@TABLE.add("parseCidr", 1)
def parse_cidr(ctx: CallContext, network: Any) -> Any:
    """network, netmask, broadcast (IPv4 only), firstUsable, lastUsable and cidr of a range."""
    check_type(ctx, 0, network, str)
    net = parse_network(ctx, network)
    if net.version == 4:
        if net.prefixlen >= 31:
            # /31 and /32 have no network or broadcast address to set aside (RFC 3021); undocumented for ARM.
            first, last = net.network_address, net.broadcast_address
        else:
            first, last = net.network_address + 1, net.broadcast_address - 1
        return {
            "network": str(net.network_address),
            "netmask": str(net.netmask),
            "broadcast": str(net.broadcast_address),
            "firstUsable": str(first),
            "lastUsable": str(last),
            "cidr": net.prefixlen,
        }
    # IPv6 has no broadcast: every address of the range is usable, as the documented example shows.
    return {
        "network": str(net.network_address),
        "netmask": str(net.netmask),
        "firstUsable": str(net.network_address),
        "lastUsable": str(net.broadcast_address),
        "cidr": net.prefixlen,
    }


@TABLE.add("cidrSubnet", 3)
def cidr_subnet(ctx: CallContext, network: Any, new_cidr: Any, subnet_index: Any) -> Any:
    """The `subnetIndex`-th subnet of prefix length `newCIDR` inside a range, as `address/prefix`."""
    check_type(ctx, 0, network, str)
    check_type(ctx, 1, new_cidr, int)
    check_type(ctx, 2, subnet_index, int)
    net = parse_network(ctx, network)
    if not net.prefixlen <= new_cidr <= net.max_prefixlen:
        raise ctx.error(
            f"the new CIDR {new_cidr} must be between the range's own prefix length {net.prefixlen} and {net.max_prefixlen}",
            arg=1,
        )
    count = 1 << (new_cidr - net.prefixlen)
    if not 0 <= subnet_index < count:
        raise ctx.error(
            f"the subnet index {subnet_index} is out of range: '{network}' has {count} subnets of /{new_cidr} (0 to {count - 1})",
            arg=2,
        )
    first = int(net.network_address) + (subnet_index << (net.max_prefixlen - new_cidr))
    return f"{_address(net, first)}/{new_cidr}"


@TABLE.add("cidrHost", 2)
def cidr_host(ctx: CallContext, network: Any, host_index: Any) -> Any:
    """The usable host address number `hostIndex` of a range: index 0 is the address after the network's."""
    check_type(ctx, 0, network, str)
    check_type(ctx, 1, host_index, int)
    net = parse_network(ctx, network)
    # The network address is never a host; IPv4 also sets the broadcast address aside.
    if net.version == 4:
        usable = max(net.num_addresses - 2, 0) if net.prefixlen < 31 else net.num_addresses
        offset = 1 if net.prefixlen < 31 else 0
    else:
        usable = net.num_addresses - 1
        offset = 1
    if not 0 <= host_index < usable:
        raise ctx.error(
            f"the host index {host_index} is out of range: '{network}' has {usable} usable host addresses",
            arg=1,
        )
    return str(_address(net, int(net.network_address) + offset + host_index))
