"""One error shape for every 4xx/5xx: `{"error": code, "message": ..., "field": ...}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from promovolve.api.services.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ServiceError,
    UnavailableError,
    UnusableConfigError,
)

logger = logging.getLogger("promovolve.api")


class JsonResponse(Response):
    """orjson-rendered JSON (fast, and exact for our numbers)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


class ApiError(Exception):
    """An HTTP answer decided in the api layer (parsing, authentication, beacons)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


def not_found(what: str, field: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found", field)


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JsonResponse:
    return JsonResponse(
        {"error": code, "message": message, "field": field}, status_code=status, headers=headers
    )


_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _field_of(loc: tuple[int | str, ...] | list[int | str]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or None


def validation_error_response(exc: RequestValidationError) -> JsonResponse:
    errors = list(exc.errors())
    if not errors:
        return error_response(422, "invalid", "invalid request")
    first = errors[0]
    kind = str(first.get("type", ""))
    if kind == "json_invalid":
        return error_response(400, "invalid_json", "request body is not valid JSON")
    field = _field_of(first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = "is not a known field"
    ctx_error = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_error, ApiError):
        return error_response(ctx_error.status, ctx_error.code, ctx_error.message, field)
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    return error_response(422, "invalid", message, field)


# The one place a service error becomes an HTTP status and error code.
_SERVICE_ANSWERS: dict[type[ServiceError], tuple[int, str]] = {
    NotFoundError: (404, "not_found"),
    ConflictError: (409, "conflict"),
    InvalidError: (422, "invalid"),
    UnusableConfigError: (400, "invalid"),
    ForbiddenError: (403, "forbidden"),
    UnavailableError: (503, "unavailable"),
}


def service_error_response(exc: ServiceError) -> JsonResponse:
    answer = next((_SERVICE_ANSWERS[k] for k in type(exc).__mro__ if k in _SERVICE_ANSWERS), None)
    status, code = answer if answer is not None else (400, "bad_request")
    return error_response(status, code, exc.message, exc.field)


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.field, headers)

    async def on_service_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ServiceError)
        return service_error_response(exc)

    async def on_validation(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return validation_error_response(exc)

    async def on_http(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code
        return error_response(exc.status_code, code, message, None, exc.headers)

    async def on_unexpected(_request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(500, "internal_error", "internal server error")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(ServiceError, on_service_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


ErrorOutDoc: dict[int | str, dict[str, Any]] = {
    "4XX": {
        "description": "Bad request, auth, not found, ...",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": ["string", "null"]},
                    },
                    "required": ["error", "message", "field"],
                }
            }
        },
    }
}
