"""Which URLs TapTalent can be asked to fetch (resumes), and how a URL is shown in errors and logs."""

from __future__ import annotations

import functools
import ipaddress
import socket
import unicodedata
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: host names that are never on the public internet (RFC 6761, RFC 6762, common internal suffixes)
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp")


def url_problem(item: Any) -> str | None:
    """Why ``item`` is not a public http(s) URL TapTalent could fetch, or ``None``.

    Refused: other schemes, user:password@, spaces or invisible characters, and hosts that are plainly
    not public (loopback, private, link-local such as the cloud metadata address 169.254.169.254,
    ``localhost``, single-label names, numeric forms like ``http://0/``). Host names are not resolved.
    Messages show the URL without its query string, which may hold a signature.
    """
    if not isinstance(item, str):
        return f"must be a URL string, not {type(item).__name__}"
    text = item.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return f"is not a URL: {shown_url(text)!r}"
    shown = shown_url(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"must be a public http:// or https:// URL: {shown!r}"
    plain = text.isascii() and text.isprintable() and " " not in text  # the common case, checked fast
    if not plain and any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text):
        return f"must not contain spaces or invisible characters: {shown!r}"
    if parts.username is not None or parts.password is not None:
        return "must not contain a user name or password: use a presigned or public URL"
    host = parts.hostname.rstrip(".").lower()
    if not _public_host(host):
        return f"must be a public URL, but {host!r} is a local or private address: {shown!r}"
    return None


@functools.lru_cache(maxsize=4096)  # a batch's URLs share a few hosts
def _public_host(host: str) -> bool:
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is None and all(part.isdigit() or part.startswith("0x") for part in host.split(".")):
        try:  # the numeric forms resolvers accept: "0", "2130706433", "0x7f000001", "127.1"
            address = ipaddress.ip_address(socket.inet_aton(host))
        except OSError:
            return False
    if address is not None:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address.is_global
    return host != "localhost" and "." in host and not host.endswith(_PRIVATE_SUFFIXES)


def shown_url(url: str) -> str:
    """A URL fit for an error or a log: no query string or fragment, no credentials, at most 120 characters."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        text = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    except ValueError:
        text = url.split("?", 1)[0]
    return text if len(text) <= 120 else f"{text[:117]}..."
