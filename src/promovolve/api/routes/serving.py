"""Public routes: `POST /v1/serve` and the signed tracking beacons."""

from __future__ import annotations

import base64

import orjson
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from promovolve.api.deps import RuntimeDep
from promovolve.api.errors import ApiError
from promovolve.api.runtime import Runtime
from promovolve.api.schemas import ServeBody
from promovolve.api.services.errors import UnavailableError
from promovolve.api.tracking import CLICK, IMPRESSION

router = APIRouter(tags=["serving"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store"}


class ServeEndpoint:
    """`POST /v1/serve` (public; the page must be on the site's domain), as a plain ASGI app.

    The ad-serving hot path does not use what FastAPI adds per route (dependency solving,
    exit stacks, response validation), and skipping it roughly halves the framework's cost
    per serve. It still runs inside the app's middleware (metrics, body limit, error
    handlers): errors raised here become the usual `{"error", "message", "field"}` answers.
    Its OpenAPI operation is added in `promovolve.api.openapi`.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = await _read_body(receive)
        try:
            body = ServeBody.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError(exc.errors()) from exc
        runtime = self.runtime
        if not runtime.in_force():
            # It may have missed a revoke or a pause: no paid ad on a state it can't trust.
            raise UnavailableError("this server cannot hear the network's changes; retry")
        invalid = runtime.guard.serve_reason(scope, body.site_id, runtime.clock())
        base = runtime.tracking_base.base_url(scope)
        answer = orjson.dumps(await runtime.serving.serve(body, base, invalid))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [*_SERVE_HEADERS, (b"content-length", str(len(answer)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": answer})


class ServeRoute(Route):
    """`POST /v1/serve` on a plain route that still names itself in the scope, as FastAPI's
    routes do, so the request metrics label it by its path instead of `unmatched`."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__("/v1/serve", ServeEndpoint(runtime), methods=["POST"])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.NONE:
            child_scope["route"] = self
        return match, child_scope


_SERVE_HEADERS = ((b"content-type", b"application/json"), (b"cache-control", b"no-store"))


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            # Nobody is left to read the answer; a 4xx keeps it out of the server errors.
            raise ApiError(400, "client_disconnected", "the client left before its body")
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@router.get(
    "/v1/imp",
    response_class=Response,
    responses={200: {"content": {"image/gif": {}}, "description": "A 1×1 GIF"}},
)
async def impression(request: Request, runtime: RuntimeDep) -> Response:
    """Impression beacon (signed URL from a serve answer); answers a 1×1 GIF."""
    await runtime.serving.track(IMPRESSION, dict(request.query_params), request.scope)
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


@router.get(
    "/v1/click",
    response_class=RedirectResponse,
    status_code=302,
    responses={302: {"description": "To the creative's landing page"}},
)
async def click(request: Request, runtime: RuntimeDep) -> Response:
    """Click beacon (signed URL); redirects to the creative's landing page."""
    beacon = await runtime.serving.track(CLICK, dict(request.query_params), request.scope)
    landing_url = runtime.serving.landing_url(beacon)
    return RedirectResponse(landing_url, status_code=302, headers=_NO_STORE)
