"""Mounts the dashboard on the app: its routes, its static files and the session signer."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from promovolve.ui import admin_routes, advertiser_routes, auth_routes, publisher_routes


def install_ui(app: FastAPI) -> None:
    for module in (auth_routes, publisher_routes, advertiser_routes, admin_routes):
        app.include_router(module.router)
    static = StaticFiles(packages=[("promovolve.ui", "static")])
    app.mount("/ui/static", static, name="ui-static")
