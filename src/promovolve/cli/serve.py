"""The `promovolve serve` command: migrate the database and run the HTTP server, in one
process or in `--workers N` processes sharing the port."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from pathlib import Path
from typing import Annotated, NoReturn, get_args

import typer
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from promovolve.settings import ENV_PREFIX, Settings, SettingsError

LOG_LEVELS: tuple[str, ...] = get_args(Settings.model_fields["log_level"].annotation)
LEVEL_NAMES = ", ".join(LOG_LEVELS)
GC_THRESHOLDS = (20_000, 50, 100)
# A worker process waits this long for its in-flight requests after SIGTERM.
DRAIN_SECONDS = 5
# A worker that answers the supervisor's ping no sooner is restarted. uvicorn's 5 s default
# kills workers still starting on a busy machine (a new interpreter, imports, migrations).
WORKER_HEALTHCHECK_SECONDS = 30
WORKERS_NEED = (
    "--workers above 1 needs PROMOVOLVE_REDIS_URL and a PostgreSQL PROMOVOLVE_DATABASE_URL "
    "(every worker is a full peer sharing them)"
)


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[
            str | None, typer.Option(help="Interface to bind [env PROMOVOLVE_HOST, 127.0.0.1]")
        ] = None,
        port: Annotated[
            int | None, typer.Option(help="Port to listen on [env PROMOVOLVE_PORT, 8080]")
        ] = None,
        data_dir: Annotated[
            Path | None,
            typer.Option(help="Data directory (SQLite file, admin key) [env PROMOVOLVE_DATA_DIR]"),
        ] = None,
        database_url: Annotated[
            str | None,
            typer.Option(
                help="SQLAlchemy URL, e.g. postgresql+asyncpg://... [env PROMOVOLVE_DATABASE_URL]"
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                help="Server processes sharing the port; above 1 needs Redis and PostgreSQL "
                "[env PROMOVOLVE_WORKERS, 1]"
            ),
        ] = None,
        demo: Annotated[
            bool,
            typer.Option(
                "--demo", help="Create a sample network and serve an article with the tag at /demo"
            ),
        ] = False,
        log_level: Annotated[
            str | None,
            typer.Option(help=f"Logging level: {LEVEL_NAMES} [env PROMOVOLVE_LOG_LEVEL, info]"),
        ] = None,
    ) -> None:
        """Run the ad server (FastAPI on uvicorn); the schema is migrated at start."""
        import uvicorn

        from promovolve.api.app import create_app
        from promovolve.api.traffic_guard.connections import (
            ConnectionLimits,
            WorkerHttpProtocol,
            protocol_for,
            raise_file_limit,
        )
        from promovolve.network import lease

        if log_level is not None and log_level.lower() not in LOG_LEVELS:
            _refuse(f"--log-level must be one of {LEVEL_NAMES}, got {log_level!r}")
        overrides = {
            "log_level": log_level.lower() if log_level is not None else None,
            "host": host,
            "port": port,
            "data_dir": data_dir,
            "database_url": database_url,
            "workers": workers,
            "demo": demo or None,
        }
        try:
            settings = Settings.from_env(**overrides)
        except SettingsError as exc:
            _refuse(str(exc))
        level = settings.log_level
        if settings.workers > 1:
            backend = make_url(settings.resolved_database_url).get_backend_name()
            if not settings.redis_url or backend != "postgresql":
                _refuse(WORKERS_NEED)
            if settings.demo:
                _refuse("--demo runs in one worker: leave out --workers")
            # Each worker reads its settings from the environment, flags included.
            for name, value in overrides.items():
                if value is not None:
                    os.environ[ENV_PREFIX + name.upper()] = str(value)
            uvicorn.run(
                f"{__name__}:worker_app",
                factory=True,
                workers=settings.workers,
                host=settings.host,
                port=settings.port,
                log_level=level,
                access_log=False,
                timeout_graceful_shutdown=DRAIN_SECONDS,
                timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                http=WorkerHttpProtocol,
                timeout_keep_alive=max(1, round(settings.keep_alive_seconds)),
            )
            return
        if not settings.redis_url and not asyncio.run(
            lease.is_free(settings.resolved_database_url, settings.database_schema)
        ):
            _refuse(lease.MESSAGE)
        _tune(level)
        raise_file_limit(settings.max_connections)
        limits = ConnectionLimits(settings.request_timeout_seconds, settings.max_connections)
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=level,
            access_log=False,
            timeout_graceful_shutdown=DRAIN_SECONDS,
            # Stalled and idle clients are dropped (api/traffic_guard/connections.py).
            http=protocol_for(limits),
            timeout_keep_alive=max(1, round(settings.keep_alive_seconds)),
        )


def worker_app() -> FastAPI:
    """The app of one `--workers` process (uvicorn calls this in each)."""
    from promovolve.api.app import create_app
    from promovolve.api.traffic_guard.connections import (
        ConnectionLimits,
        WorkerHttpProtocol,
        raise_file_limit,
    )

    settings = Settings.from_env()
    _tune(settings.log_level)
    raise_file_limit(settings.max_connections)
    WorkerHttpProtocol.limits = ConnectionLimits(
        settings.request_timeout_seconds, settings.max_connections
    )
    return create_app(settings)


def _tune(level: str) -> None:
    # Serving allocates many short-lived objects; with the default gen-0 threshold (700)
    # the collector runs every few requests and its older generations stall the loop
    # (p99 of POST /v1/serve under load: ~130 ms default, ~50 ms with these).
    gc.set_threshold(*GC_THRESHOLDS)
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


def _refuse(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
