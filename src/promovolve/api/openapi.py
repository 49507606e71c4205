"""The app's OpenAPI spec: what FastAPI generates, corrected to what the server answers.

- every error is our `{"error", "message", "field"}` body (FastAPI documents its own 422
  shape, which this server never sends);
- management operations need a bearer key;
- `POST /v1/serve` (a plain ASGI route) and the PUT pacing body (checked by hand, so the
  seed's messages survive) are documented from their models;
- links from each create operation to what the new object's id opens, for generated
  clients and the stateful fuzz run.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema
from starlette.routing import compile_path

from promovolve.api.responses import PacingBody, ServeOut
from promovolve.api.schemas import ServeBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
    },
    "required": ["error", "message", "field"],
}
PUBLIC_TAGS = frozenset({"serving", "ops"})
PACING_PATH = "/v1/publishers/{publisherId}/sites/{siteId}/pacing"

_PUB = "/v1/publishers/{publisherId}"
_SITE = _PUB + "/sites/{siteId}"
_ADV = "/v1/advertisers/{advertiserId}"
_CAMPAIGN = _ADV + "/campaigns/{campaignId}"
_CREATIVE = _CAMPAIGN + "/creatives/{creativeId}"
_NEW_ID = "$response.body#/id"
# (created by POST to this path) -> [(method, path, {parameter: where its value comes from})]
LINKS: dict[str, list[tuple[str, str, dict[str, str]]]] = {
    "/v1/publishers": [
        ("get", _PUB, {"publisherId": _NEW_ID}),
        ("post", _PUB + "/sites", {"publisherId": _NEW_ID}),
        ("put", _PUB + "/blocklist", {"publisherId": _NEW_ID}),
    ],
    _PUB + "/sites": [
        (method, path, {"publisherId": "$request.path.publisherId", "siteId": _NEW_ID})
        for method, path in (
            ("get", _SITE),
            ("patch", _SITE),
            ("put", _SITE + "/pacing"),
            ("get", _SITE + "/pacing"),
            ("get", _SITE + "/approvals"),
            ("get", _SITE + "/stats"),
        )
    ]
    + [("get", "/test/site-stats/{siteId}", {"siteId": _NEW_ID})],
    "/v1/advertisers": [
        ("get", _ADV, {"advertiserId": _NEW_ID}),
        ("post", _ADV + "/campaigns", {"advertiserId": _NEW_ID}),
    ],
    _ADV + "/campaigns": [
        (method, path, {"advertiserId": "$request.path.advertiserId", "campaignId": _NEW_ID})
        for method, path in (
            ("get", _CAMPAIGN),
            ("patch", _CAMPAIGN),
            ("get", _CAMPAIGN + "/stats"),
            ("post", _CAMPAIGN + "/creatives"),
        )
    ],
    _CAMPAIGN + "/creatives": [
        (
            method,
            _CREATIVE,
            {
                "advertiserId": "$request.path.advertiserId",
                "campaignId": "$request.path.campaignId",
                "creativeId": _NEW_ID,
            },
        )
        for method in ("get", "patch")
    ],
}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    refs, extra = models_json_schema(
        [(ServeBody, "validation"), (ServeOut, "serialization"), (PacingBody, "validation")],
        by_alias=True,
        ref_template="#/components/schemas/{model}",
    )
    schemas.update(extra["$defs"])
    schema["paths"]["/v1/serve"] = {
        "post": _serve_operation(refs[ServeBody, "validation"], refs[ServeOut, "serialization"])
    }
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["ErrorOut"] = ERROR_SCHEMA
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            _document_errors(operation)
            if method in _CHANGES and "503" not in operation["responses"]:
                operation["responses"]["503"] = {
                    "description": _CHANGE_UNAVAILABLE,
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
            if not PUBLIC_TAGS.intersection(operation.get("tags", ())):
                operation["security"] = [{"bearer": []}]
    schema["paths"][PACING_PATH]["put"]["requestBody"] = _json_body(refs[PacingBody, "validation"])
    _add_links(schema)
    return schema


def allowed_methods(app: FastAPI, path: str) -> str:
    """The methods the spec documents at a request path, for a 405's `Allow` header."""
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = [
            (compile_path(template)[0], {method.upper() for method in operations})
            for template, operations in app.openapi()["paths"].items()
        ]
        app.state.allow_table = table
    methods: set[str] = set()
    for regex, documented in table:
        if regex.match(path):
            methods |= documented
    return ", ".join(sorted(methods))


def _json_body(schema: Any) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _serve_operation(body: Any, answer: Any) -> dict[str, Any]:
    """`POST /v1/serve`: its route is plain ASGI, so FastAPI does not document it."""
    return {
        "tags": ["serving"],
        "summary": "Serve",
        "description": "Choose an ad for each slot of a page (public; the page must be on "
        "the site's domain).",
        "operationId": "serve_v1_serve_post",
        "requestBody": _json_body(body),
        "responses": {
            "200": {
                "description": "One decision per slot",
                "content": {"application/json": {"schema": answer}},
            },
            "503": {
                "description": "The serve's spend could not be recorded; nothing was spent",
                "content": {"application/json": {"schema": ERROR_REF}},
            },
        },
    }


_CHANGES = frozenset({"post", "put", "patch", "delete"})
_CHANGE_UNAVAILABLE = (
    "The database is unavailable (nothing was changed); or, with several server processes, "
    "the change is committed but not every process has applied it yet (it is in force "
    "everywhere once they do or drop out, within seconds)"
)


def _document_errors(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    responses["4XX"] = {
        "description": "Bad input, no or wrong key, not found, conflict, body too large",
        "content": {"application/json": {"schema": ERROR_REF}},
    }


def _add_links(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    for source, targets in LINKS.items():
        created = paths[source]["post"]["responses"]["201"]
        created["links"] = {
            paths[path][method]["operationId"]: {
                "operationId": paths[path][method]["operationId"],
                "parameters": parameters,
            }
            for method, path, parameters in targets
        }
