"""What every dashboard route uses: templates, the signed-in caller, forms, errors.

Routes stay thin: they read a form, call the same services as the API and render. A
`ServiceError` or a bad form field becomes an HTML error page with the API's status code.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

from fastapi import Request
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response

from promovolve.api.errors import service_error_response
from promovolve.api.keys import Principal
from promovolve.api.runtime import Runtime
from promovolve.api.services import ServiceError
from promovolve.settings import ensure_admin_key
from promovolve.ui.session import Session, SessionCodec, csrf_ok, new_session

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=Response)

TEMPLATES = Environment(
    loader=PackageLoader("promovolve.ui", "templates"),
    autoescape=select_autoescape(["html"]),
)
TEMPLATES.filters["landing_domain"] = lambda url: urlsplit(str(url)).hostname or ""


class UiError(Exception):
    """A refused dashboard request: shown as an error page naming the field."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class LoginNeeded(Exception):
    """No valid session: a page sends the browser to the login form."""


@dataclass(slots=True)
class Ui:
    """One dashboard request: the caller, its session and the running server."""

    request: Request
    runtime: Runtime
    session: Session
    principal: Principal | None
    form: dict[str, list[str]]

    def value(self, name: str, default: str = "") -> str:
        values = self.form.get(name)
        return values[0].strip() if values else default

    def values(self, name: str) -> list[str]:
        return self.form.get(name, [])

    def render(self, template: str, status: int = 200, **data: Any) -> HTMLResponse:
        body = TEMPLATES.get_template(template).render(
            principal=self.principal, csrf=self.session.csrf, path=self.request.url.path, **data
        )
        return self.keep(HTMLResponse(body, status_code=status))

    def keep(self, response: R) -> R:
        """`response` with the session cookie (re)set, so it stays alive while in use."""
        codec(self.request).write(self.request, response, self.session)
        response.headers["Cache-Control"] = "no-store"
        return response

    def require(self, role: str) -> str:
        """The account id of a caller in `role`; any other caller gets a 404 (learns nothing)."""
        if self.principal is None or self.principal.role != role:
            raise UiError(404, "page not found")
        return self.principal.account_id or ""


def codec(request: Request) -> SessionCodec:
    """The app's session signer, made on first use (the admin key is known once started)."""
    state = request.app.state
    found = getattr(state, "ui_sessions", None)
    if found is None:
        runtime = state.runtime
        assert isinstance(runtime, Runtime)
        found = state.ui_sessions = SessionCodec(ensure_admin_key(runtime.settings, announce=False))
    assert isinstance(found, SessionCodec)
    return found


def redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def parse_model(model: type[M], data: dict[str, object]) -> M:
    """Validate form values with the API's own body model; the first error names its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or None
        raise UiError(400, f"{field}: {error['msg']}", field) from exc


def number(text: str, field: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise UiError(400, f"{field} must be a whole number", field) from exc


def decimal(text: str, field: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise UiError(400, f"{field} must be a number", field) from exc


async def load(request: Request, login: bool = True) -> Ui:
    """The request's caller; a POST must carry its session's CSRF token."""
    runtime = request.app.state.runtime
    assert isinstance(runtime, Runtime)
    session = codec(request).read(request)
    form: dict[str, list[str]] = {}
    if request.method == "POST":
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = form.get("csrf", [""])[0]
        if not csrf_ok(session, token):
            raise UiError(403, "the form's CSRF token is missing or wrong; reload the page", "csrf")
    session = session or new_session()
    principal = runtime.state.keyring.resolve_hash(session.key_hash) if session.key_hash else None
    if login and principal is None:
        raise LoginNeeded()
    return Ui(request, runtime, session, principal, form)


class UiRoute(APIRoute):
    """Turns refusals into HTML pages (the API's handlers answer JSON)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginNeeded:
                return redirect("/ui/login")
            except ServiceError as exc:
                status = service_error_response(exc).status_code
                return error_page(status, exc.message, exc.field)
            except UiError as exc:
                return error_page(exc.status, exc.message, exc.field)

        return handle


def error_page(status: int, message: str, field: str | None) -> HTMLResponse:
    body = TEMPLATES.get_template("error.html").render(
        status=status, message=message, field=field, principal=None, csrf="", path=""
    )
    return HTMLResponse(body, status_code=status)
