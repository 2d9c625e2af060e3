"""The outbound-URL guard: a request to an address a reader typed goes to a public host only.

A webhook's URL is typed by a reader, so without a guard the server posts wherever it points:
its own loopback ports, the cloud metadata service at 169.254.169.254, the lab's private
network. The guard resolves the name, refuses loopback, private, link-local, shared, multicast
and reserved addresses (IPv4 and IPv6, with the IPv4 forms embedded in IPv6: mapped, 6to4,
Teredo), unless the operator allow-listed their network, and connects to the address it
checked, so a name that resolves differently a moment later (DNS rebinding) gains nothing.
Every redirect hop comes back through the same transport and is checked again.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Sequence

import httpx

from academichub.errors import InputError

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
DEFAULT_PORTS = {"http": 80, "https": 443}


class UnsafeTargetError(InputError):
    """A URL whose host is not a public address (or cannot be resolved)."""


_HOST_NAME = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9_-]{1,63}(?<!-))*\.?$", re.IGNORECASE)


def resolve(host: str, port: int) -> list[str]:
    """Every address a name resolves to (the system resolver)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTargetError(f"outbound: cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def _embedded(address: Address) -> Address:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo), or the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.sixtofour:
            return address.sixtofour
        if address.teredo:
            return address.teredo[1]
    return address


def parse_networks(entries: Sequence[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Allow-list entries (CIDR or a single address) as networks; a clear error names a bad one."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise InputError(f"outbound: {entry!r} is not a network (e.g. 10.0.0.0/8 or 192.168.1.20)") from None
    return networks


_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}", re.IGNORECASE)


def _legacy_ipv4(host: str) -> Address | None:
    """An address written the old ways the C resolver still reads (`2130706433`, `0x7f000001`,
    `127.1`): refused when added, not only when the name is resolved at sending time."""
    if not _LEGACY_IPV4.fullmatch(host):
        return None
    try:
        return ipaddress.ip_address(socket.inet_aton(host))
    except OSError:
        return None


class OutboundGuard:
    """Decides whether an address may be reached, and resolves names to addresses that may."""

    def __init__(self, allow: Sequence[str] = (), resolver: Resolver = resolve) -> None:
        self.allowed = parse_networks(allow)
        self.resolver = resolver

    def permits(self, address: Address) -> bool:
        """Public addresses, and those in an allow-listed network."""
        if any(address in network or _embedded(address) in network for network in self.allowed):
            return True
        inner = _embedded(address)
        return all(a.is_global and not a.is_multicast for a in {address, inner})

    def check_url(self, url: str) -> httpx.URL:
        """A URL's syntax (http or https, a host, no credentials); names are resolved when connecting."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise UnsafeTargetError(f"outbound: not a URL: {exc}") from None
        if parsed.scheme not in DEFAULT_PORTS or not parsed.host:
            raise UnsafeTargetError("outbound: the URL must be http:// or https:// with a host name")
        if parsed.userinfo:
            raise UnsafeTargetError("outbound: the URL must not carry a user name or password")
        if not _HOST_NAME.match(parsed.raw_host.decode("ascii", "replace")):  # httpx keeps "exa mple.com"
            try:
                ipaddress.ip_address(parsed.host)
            except ValueError:
                raise UnsafeTargetError(f"outbound: {parsed.host!r} is not a host name") from None
        if parsed.port == 0:
            raise UnsafeTargetError("outbound: port 0 is not a port to connect to")
        try:
            literal: Address | None = ipaddress.ip_address(parsed.host)
        except ValueError:
            literal = _legacy_ipv4(parsed.host)
        if literal is not None and not self.permits(literal):
            raise UnsafeTargetError(f"outbound: {parsed.host} is not a public address")
        if literal is None and (parsed.host == "localhost" or parsed.host.endswith((".localhost", ".local"))):
            raise UnsafeTargetError(f"outbound: {parsed.host} is not a public host")
        return parsed

    def address_for(self, url: httpx.URL) -> str:
        """The address to connect to: every address the host resolves to must be permitted."""
        self.check_url(str(url))
        port = url.port or DEFAULT_PORTS[url.scheme]
        addresses = self.resolver(url.host, port)
        if not addresses:
            raise UnsafeTargetError(f"outbound: {url.host} resolves to no address")
        for text in addresses:
            try:
                address = ipaddress.ip_address(text.split("%")[0])  # fe80::1%eth0 carries its interface
            except ValueError:
                raise UnsafeTargetError(f"outbound: {url.host} resolves to {text!r}, not an address") from None
            if not self.permits(address):
                raise UnsafeTargetError(f"outbound: {url.host} resolves to a non-public address")
        return addresses[0]


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport that checks every request (and so every redirect hop) with the guard and,
    on the network, connects to the very address it checked (TLS still verifies the host name)."""

    def __init__(self, guard: OutboundGuard, inner: httpx.BaseTransport | None = None, **options: object) -> None:
        self.guard = guard
        self.pin = inner is None  # a test's transport seam stands in for the network: nothing to pin
        self.inner = inner or httpx.HTTPTransport(**options)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        address = self.guard.address_for(request.url)
        if not self.pin:
            return self.inner.handle_request(request)
        host = request.url.host
        extensions = dict(request.extensions)
        if request.url.scheme == "https":
            extensions["sni_hostname"] = host
        pinned = httpx.Request(request.method, request.url.copy_with(host=address), headers=request.headers,
                               stream=request.stream, extensions=extensions)
        response = self.inner.handle_request(pinned)
        response.request = request  # redirects resolve against the name, not the address
        return response

    def close(self) -> None:
        self.inner.close()
