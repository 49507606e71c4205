"""A thin JSON client for the Promovolve HTTP API, used by the live simulator and benchmarks.

It speaks only the public HTTP API (issue 3): camelCase JSON, decimal dollars,
``Authorization: Bearer KEY``. Every non-2xx answer becomes an :class:`ApiError` that
carries the status, the error code and the message of the server's error body, so callers
can report it in one line instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(slots=True)
class ApiError(Exception):
    """The server refused a request (``status`` > 0) or could not be reached (``status`` 0)."""

    method: str
    path: str
    status: int
    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.method} {self.path}"
        if self.status == 0:
            return f"{where}: {self.message}"
        text = f"{where} → HTTP {self.status} {self.code}: {self.message}"
        if self.field:
            text += f" (field: {self.field})"
        return text


def error_from_response(method: str, path: str, response: httpx.Response) -> ApiError:
    """Read the issue's error body ``{"error", "message", "field"}`` (or FastAPI's ``detail``)."""
    code = response.reason_phrase or "error"
    message = ""
    field: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        if isinstance(body.get("error"), str):
            code = body["error"]
        if body.get("message") is not None:
            message = str(body["message"])
        if isinstance(body.get("field"), str):
            field = body["field"]
        detail = body.get("detail")
        if not message and detail is not None:
            message = detail if isinstance(detail, str) else str(detail)
    if not message:
        message = response.text.strip()[:200] or "(empty body)"
    return ApiError(method, path, response.status_code, code, message, field)


def describe_transport_error(error: httpx.HTTPError) -> str:
    """A one-line description of a connection-level failure."""
    text = str(error) or type(error).__name__
    if isinstance(error, httpx.ConnectError):
        return f"cannot connect to the server ({text})"
    if isinstance(error, httpx.TimeoutException):
        return f"the server did not answer in time ({type(error).__name__})"
    return f"{type(error).__name__}: {text}"


class Api:
    """JSON calls with an optional bearer key; raises :class:`ApiError` on any failure."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    @staticmethod
    def headers(key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"} if key else {}

    async def call(
        self,
        method: str,
        path: str,
        key: str | None = None,
        json: object = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        try:
            response = await self.client.request(
                method,
                path,
                headers=self.headers(key),
                json=json,
                params=dict(params) if params else None,
            )
        except httpx.HTTPError as error:
            raise ApiError(
                method, path, 0, "unreachable", describe_transport_error(error)
            ) from None
        if response.status_code >= 400:
            raise error_from_response(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    async def get(self, path: str, key: str | None = None) -> Any:
        return await self.call("GET", path, key)

    async def post(self, path: str, key: str | None = None, json: object = None) -> Any:
        return await self.call("POST", path, key, json)

    async def put(self, path: str, key: str | None = None, json: object = None) -> Any:
        return await self.call("PUT", path, key, json)

    async def patch(self, path: str, key: str | None = None, json: object = None) -> Any:
        return await self.call("PATCH", path, key, json)
