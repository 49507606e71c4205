"""`GET /tag.js`: the ad tag publishers paste, served with caching headers."""

from __future__ import annotations

import hashlib
from importlib.resources import files

from fastapi import APIRouter, Request
from starlette.responses import Response

router = APIRouter(tags=["web"])

TAG = files("promovolve.web").joinpath("tag.js").read_bytes()
# Quoted strong validator of the tag's bytes: a new release changes it.
TAG_ETAG = '"' + hashlib.sha256(TAG).hexdigest()[:32] + '"'
# An hour fresh, then a day served stale while the browser revalidates in the background.
TAG_CACHE = "public, max-age=3600, stale-while-revalidate=86400"


@router.get("/tag.js", include_in_schema=False)
async def tag(request: Request) -> Response:
    headers = {"Cache-Control": TAG_CACHE, "ETag": TAG_ETAG}
    if TAG_ETAG in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(TAG, media_type="text/javascript; charset=utf-8", headers=headers)
