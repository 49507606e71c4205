"""The ASGI app factory."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Query
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import PlainTextResponse, Response

from promovolve.api.deps import RuntimeDep
from promovolve.api.docs import install_docs
from promovolve.api.errors import JsonResponse, install_error_handlers
from promovolve.api.middleware import PublicCorsMiddleware, ServerMiddleware
from promovolve.api.openapi import ERROR_REF, build_openapi
from promovolve.api.responses import HealthOut
from promovolve.api.routes import advertisers, context, house_ads, publishers, serving, stats
from promovolve.api.runtime import Runtime
from promovolve.api.services.errors import UnavailableError
from promovolve.settings import Settings
from promovolve.ui.app import install_ui
from promovolve.web import demo
from promovolve.web import routes as web

DESCRIPTION = """\
Promovolve: a publisher-centric, context-based ad network.

Management endpoints need `Authorization: Bearer KEY` (the admin key, or the API key
returned once when the admin created the publisher or advertiser). `POST /v1/serve` and the
tracking beacons are public. Errors are `{"error": code, "message": ..., "field": ...}`.
"""
JSON = "application/json"
READY_PARAMETER = (
    "Ask for readiness instead of liveness: 503 while this process may not serve paid ads "
    "(it cannot hear the network's changes, or its budget ledger is being rebuilt)"
)
NOT_READY = (
    "Not ready (only with `ready=true`): this process may have missed a change or its "
    "budget ledger lost data; it recovers by itself, without a restart"
)


def create_app(settings: Settings | None = None, clock: Callable[[], float] = time.time) -> FastAPI:
    """Build the app; the runtime (database, engines) starts in the lifespan."""
    resolved = settings if settings is not None else Settings.from_env()
    runtime = Runtime(resolved, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        if resolved.demo:
            await demo.seed(runtime)
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Promovolve",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JsonResponse,
        docs_url=None,  # served by install_docs, from the package instead of a CDN
        redoc_url=None,
    )
    app.state.runtime = runtime
    install_error_handlers(app)
    app.add_middleware(PublicCorsMiddleware)
    app.add_middleware(
        ServerMiddleware, metrics=runtime.metrics, max_body_bytes=resolved.max_body_bytes
    )
    # The serve hot path is a plain ASGI route, matched first; see ServeEndpoint.
    app.router.routes.insert(0, serving.ServeRoute(runtime))

    @app.get(
        "/healthz",
        tags=["ops"],
        response_model=HealthOut,
        responses={503: {"description": NOT_READY, "content": {JSON: {"schema": ERROR_REF}}}},
    )
    async def healthz(
        ready: Annotated[bool, Query(description=READY_PARAMETER)] = False,
    ) -> JsonResponse:
        """Liveness: answers without touching the database or Redis (also the benchmark's
        baseline). With `ready=true`, readiness: 503 while this process may not serve."""
        if ready and (reason := runtime.not_ready()) is not None:
            raise UnavailableError(reason)
        return JsonResponse({"status": "ok"})

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    async def metrics(runtime: RuntimeDep) -> Response:
        """Prometheus metrics: requests, latency, serve outcomes, spend, beacons, commits."""
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Routers after the ops routes: a route is found by trying each in order.
    app.include_router(serving.router)
    app.include_router(publishers.router)
    app.include_router(house_ads.router)
    app.include_router(advertisers.router)
    app.include_router(stats.router)
    install_docs(app)
    app.include_router(context.router)
    app.include_router(web.router)
    install_ui(app)
    if resolved.demo:
        app.include_router(demo.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
