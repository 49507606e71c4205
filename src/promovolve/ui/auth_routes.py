"""Login by pasting an API key, logout, and the home page that sends each role to its pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from promovolve.api.keys import hash_key
from promovolve.ui.core import UiError, UiRoute, load, redirect
from promovolve.ui.session import new_session

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)

HOME = {"admin": "/ui/accounts", "publisher": "/ui/sites", "advertiser": "/ui/campaigns"}


@router.get("/")
async def home(request: Request) -> Response:
    ui = await load(request)
    assert ui.principal is not None
    return redirect(HOME[ui.principal.role])


@router.get("/login")
async def login_form(request: Request) -> Response:
    return (await load(request, login=False)).render("login.html")


@router.post("/login")
async def login(request: Request) -> Response:
    ui = await load(request, login=False)
    key = ui.value("apiKey")
    principal = ui.runtime.state.keyring.resolve(key) if key else None
    if principal is None:
        error = UiError(401, "unknown API key", "apiKey")
        return ui.render("login.html", status=401, error=error)
    # A fresh session (and CSRF token) at login: a token seen before login is no use after.
    ui.session = new_session(hash_key(key))
    return ui.keep(redirect(HOME[principal.role]))


@router.post("/logout")
async def logout(request: Request) -> Response:
    ui = await load(request, login=False)
    ui.session = new_session()
    return ui.keep(redirect("/ui/login"))
