"""The HTTP server protects itself from clients that hold connections without finishing a
request (slowloris, bodies shorter than their Content-Length, idle sockets).

uvicorn alone cannot: it arms no timer when a connection opens, its keep-alive timer is
disarmed by any byte received (so partial headers stall forever), a body has no deadline,
and `limit_concurrency` answers 503 to everyone once stalled connections fill it, /healthz
included. This is uvicorn's httptools protocol with three additions:

- a deadline for each request: from the connection's start (or the end of the previous
  answer) to the request's last byte, headers and body; missing it closes the connection;
- idle keep-alive connections are closed by uvicorn's `timeout_keep_alive`;
- at most `max_connections` are open: a new connection beyond it closes the one that has
  waited longest for its request, so stalled clients cannot lock out real ones.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class ConnectionLimits:
    def __init__(self, request_timeout: float, max_connections: int) -> None:
        self.request_timeout = request_timeout
        self.max_connections = max_connections
        # Connections waiting for a complete request, oldest first (dicts keep order).
        self.waiting: dict[GuardedHttpProtocol, None] = {}
        self.evicted = 0
        self.timed_out = 0

    def evict_for(self, newcomer: GuardedHttpProtocol, open_connections: int) -> None:
        if open_connections <= self.max_connections:
            return
        for protocol in self.waiting:
            if protocol is not newcomer:
                self.evicted += 1
                protocol.drop()
                return
        newcomer.drop()  # every other connection is being answered: refuse the new one


class GuardedHttpProtocol(HttpToolsProtocol):
    limits: ConnectionLimits  # set on the subclass that `protocol_for` makes

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._await_request()
        self.limits.evict_for(self, len(self.connections))

    def _await_request(self) -> None:
        self._stop_waiting()
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._expired)
        self.limits.waiting[self] = None

    def _stop_waiting(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.limits.waiting.pop(self, None)

    def _expired(self) -> None:
        self._deadline = None
        self.limits.timed_out += 1
        self.drop()

    def drop(self) -> None:
        self._stop_waiting()
        if not self.transport.is_closing():
            self.transport.close()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._stop_waiting()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request's deadline starts now (unless one is already queued, complete).
        if not self.transport.is_closing() and not self.pipeline:
            self._await_request()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)


def protocol_for(limits: ConnectionLimits) -> type[GuardedHttpProtocol]:
    """uvicorn's `http=` protocol class bound to these limits."""
    attributes: dict[str, Any] = {"limits": limits}
    return type("PromovolveHttpProtocol", (GuardedHttpProtocol,), attributes)


def raise_file_limit(max_connections: int) -> int:
    """Raise the soft open-files limit so `max_connections` sockets fit beside the server's
    own files (as far as the hard limit lets); the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max_connections + 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return wanted
    return soft


class WorkerHttpProtocol(GuardedHttpProtocol):
    """The protocol of a `--workers` process. uvicorn hands the protocol class to each worker
    process by its import name, which a class made by `protocol_for` has not; each worker
    sets this one's limits from its own settings (`cli.serve.worker_app`) before it listens."""
