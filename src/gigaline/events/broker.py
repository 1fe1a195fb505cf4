"""MQTT broker addresses as users write them: ``mqtt://[user[:password]@]host[:port]``.

``mqtt://`` is plain TCP (default port 1883), ``mqtts://`` TLS (8883). Pure parsing: the
clients in :mod:`gigaline.virtual` and :mod:`gigaline.mes.connectors` do the connecting.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from gigaline.errors import GigalineError

__all__ = ["BrokerAddress", "BrokerAddressError", "parse_broker"]

_PORTS = {"mqtt": 1883, "mqtts": 8883}


class BrokerAddressError(GigalineError):
    """A broker address that cannot be used."""


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """Where an MQTT broker listens, and how to log in."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:  # never shows the password
        scheme = "mqtts" if self.tls else "mqtt"
        user = f"{self.username}@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


def parse_broker(url: str) -> BrokerAddress:
    """Parse ``mqtt://host:port`` (or ``mqtts://``); a bad address names what is allowed."""
    allowed = "expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (user:password@ optional)"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise BrokerAddressError(f"broker {url!r}: {exc}; {allowed}") from None
    if parts.scheme not in _PORTS or not parts.hostname:
        raise BrokerAddressError(f"broker {url!r}: {allowed}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise BrokerAddressError(f"broker {url!r}: no path or query allowed; {allowed}")
    return BrokerAddress(
        host=parts.hostname,
        port=port or _PORTS[parts.scheme],
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
