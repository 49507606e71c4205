"""ASGI middleware: request size limit (413), request metrics, CORS for public paths."""

from __future__ import annotations

import time
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promovolve.api.metrics import Metrics


class _TooLargeError(HTTPException):
    """Raised from `receive` once a body without Content-Length passes the limit.

    An HTTPException, so that FastAPI's body parsing passes it on (other errors there become
    a 400) and the app's handler answers 413; caught here too for routes that read the body
    themselves.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


def _error_body(code: str, message: str) -> bytes:
    return orjson.dumps({"error": code, "message": message, "field": None})


class ServerMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics, max_body_bytes: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self._children: dict[tuple[str, str, int], Any] = {}
        self._latency: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
            await send(message)

        limited_receive = receive
        length = _content_length(scope)
        if length is not None and length > self.max_body:
            await self._too_large(send)
            status = 413
            self._observe(scope, status, start)
            return
        if length is None and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            received = 0

            async def counting_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body:
                        raise _TooLargeError(self.max_body)
                return message

            limited_receive = counting_receive
        try:
            await self.app(scope, limited_receive, send_wrapper)
        except _TooLargeError:
            if not started:
                await self._too_large(send)
            status = 413
        finally:
            self._observe(scope, status, start)

    async def _too_large(self, send: Send) -> None:
        body = _error_body("payload_too_large", f"request body exceeds {self.max_body} bytes")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _observe(self, scope: Scope, status: int, start: float) -> None:
        route = scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        key = (path, method, status)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.metrics.requests.labels(path, method, str(status))
        child.inc()
        latency = self._latency.get(path)
        if latency is None:
            latency = self._latency[path] = self.metrics.latency.labels(path)
        latency.observe(time.perf_counter() - start)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# Public endpoints an ad tag calls from the publisher's page (another origin), and the
# method each allows. Management endpoints stay same-origin.
PUBLIC_METHODS = {"/v1/serve": "POST", "/v1/imp": "GET", "/v1/click": "GET"}
PREFLIGHT_MAX_AGE = 86400


class _NoContentPreflight(CORSMiddleware):
    """Starlette's CORS, answering an allowed preflight 204 with no body (there is none)."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code != 200:
            return response
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return Response(status_code=204, headers=headers)


class PublicCorsMiddleware:
    """CORS for the public endpoints only: any origin, no credentials (they need no key)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._by_path: dict[str, ASGIApp] = {}
        by_method: dict[str, ASGIApp] = {}
        for path, method in PUBLIC_METHODS.items():
            if method not in by_method:
                by_method[method] = _NoContentPreflight(
                    app,
                    allow_origins=["*"],
                    allow_methods=[method],
                    allow_headers=["*"],
                    max_age=PREFLIGHT_MAX_AGE,
                )
            self._by_path[path] = by_method[method]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cors = self._by_path.get(scope["path"]) if scope["type"] == "http" else None
        # Only a browser's cross-origin call carries Origin; skipping Starlette's header
        # parsing for the others keeps it off the serve path's cost.
        if cors is not None and any(name == b"origin" for name, _ in scope["headers"]):
            await cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
