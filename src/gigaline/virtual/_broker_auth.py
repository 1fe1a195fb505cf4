"""The embedded broker's authentication: every client on the loopback address is a named one.

amqtt keeps no offline queue for an anonymous session (its reading of MQTT 3.1.1 section
3.1.2.4), so with its anonymous plug-in the MES's persistent session would lose what was
published while it reconnected. The embedded broker listens on a loopback address only
(:class:`gigaline.virtual.broker.EmbeddedBroker` refuses any other), so each client that
reaches it is a local process: it is accepted as a named client, and its session persists.
Loaded by amqtt by its dotted path; imported only when the embedded broker starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from amqtt.plugins.base import BaseAuthPlugin
from amqtt.session import Session

__all__ = ["LocalClients"]


class LocalClients(BaseAuthPlugin):  # type: ignore[misc]  # amqtt is untyped
    """Accept every client, as a named (not anonymous) one."""

    async def authenticate(self, *, session: Session) -> bool | None:
        session.is_anonymous = False
        return True

    @dataclass
    class Config:
        """No settings: the listener's loopback address is the access control."""
