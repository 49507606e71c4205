"""Public routes: `POST /v1/serve` and the signed tracking beacons."""

from __future__ import annotations

import base64
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.requests import ClientDisconnect
from starlette.responses import RedirectResponse, Response

from promovolve.api.deps import RuntimeDep
from promovolve.api.errors import ApiError, ErrorOutDoc, JsonResponse
from promovolve.api.schemas import ServeBody, ServeOut
from promovolve.api.tracking import CLICK, IMPRESSION

router = APIRouter(tags=["serving"])

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store"}


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its local `$defs` references inlined (for openapi_extra)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return walk(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result = walk(schema)
    assert isinstance(result, dict)
    return result


_SERVE_SCHEMA = _inlined(ServeBody.model_json_schema(by_alias=True))


@router.post(
    "/v1/serve",
    response_model=ServeOut,
    responses=ErrorOutDoc,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _SERVE_SCHEMA}},
        }
    },
)
async def serve(request: Request, runtime: RuntimeDep) -> Response:
    """Choose an ad for each slot of a page (public; the page must be on the site's domain)."""
    try:
        raw = await request.body()
    except ClientDisconnect as exc:
        # Nobody is left to read the answer; a 4xx keeps it out of the server errors.
        raise ApiError(400, "client_disconnected", "the client left before its body") from exc
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "invalid_json", "request body is not valid JSON") from exc
    try:
        body = ServeBody.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    base = runtime.settings.public_url or str(request.base_url)
    result = await runtime.serve(body, base.rstrip("/"))
    return JsonResponse(result, headers=_NO_STORE)


@router.get("/v1/imp", responses=ErrorOutDoc)
async def impression(request: Request, runtime: RuntimeDep) -> Response:
    """Impression beacon (signed URL from a serve answer); answers a 1×1 GIF."""
    await runtime.track(IMPRESSION, dict(request.query_params))
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


@router.get("/v1/click", responses=ErrorOutDoc, status_code=302)
async def click(request: Request, runtime: RuntimeDep) -> Response:
    """Click beacon (signed URL); redirects to the creative's landing page."""
    beacon = await runtime.track(CLICK, dict(request.query_params))
    creative = runtime.creatives[beacon.creative]
    return RedirectResponse(creative.landing_url, status_code=302, headers=_NO_STORE)
