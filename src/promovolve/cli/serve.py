"""The `promovolve serve` command: migrate the database and run the HTTP server."""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path
from typing import Annotated

import typer

from promovolve.settings import Settings, SettingsError

LOG_LEVELS = ("critical", "error", "warning", "info", "debug")
GC_THRESHOLDS = (20_000, 50, 100)


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
        demo: Annotated[
            bool,
            typer.Option(
                "--demo", help="Create a sample network and serve an article with the tag at /demo"
            ),
        ] = False,
        log_level: Annotated[
            str, typer.Option(help=f"Logging level ({', '.join(LOG_LEVELS)})")
        ] = "info",
    ) -> None:
        """Run the ad server (FastAPI on uvicorn); the schema is migrated at start."""
        import uvicorn

        from promovolve.api.app import create_app
        from promovolve.api.traffic_guard.connections import (
            ConnectionLimits,
            protocol_for,
            raise_file_limit,
        )
        from promovolve.network import lease

        try:
            settings = Settings.from_env(
                host=host,
                port=port,
                data_dir=data_dir,
                database_url=database_url,
                demo=demo or None,
            )
        except SettingsError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        if log_level.lower() not in LOG_LEVELS:
            typer.echo(
                f"error: --log-level must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}",
                err=True,
            )
            raise typer.Exit(2)
        # Serving allocates many short-lived objects; with the default gen-0 threshold (700)
        # the collector runs every few requests and its older generations stall the loop
        # (p99 of POST /v1/serve under load: ~130 ms default, ~50 ms with these).
        if not settings.redis_url and not asyncio.run(
            lease.is_free(settings.resolved_database_url, settings.database_schema)
        ):
            typer.echo(f"error: {lease.MESSAGE}", err=True)
            raise typer.Exit(2)
        gc.set_threshold(*GC_THRESHOLDS)
        logging.basicConfig(
            level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        raise_file_limit(settings.max_connections)
        limits = ConnectionLimits(settings.request_timeout_seconds, settings.max_connections)
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=log_level.lower(),
            access_log=False,
            timeout_graceful_shutdown=5,
            # Stalled and idle clients are dropped (api/traffic_guard/connections.py).
            http=protocol_for(limits),
            timeout_keep_alive=max(1, round(settings.keep_alive_seconds)),
        )
