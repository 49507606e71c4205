"""Each service error becomes one HTTP answer, in one place (api/errors.py)."""

from __future__ import annotations

import orjson
import pytest

from promovolve.api.errors import service_error_response
from promovolve.api.services import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    ServiceError,
    UnavailableError,
    UnusableConfigError,
)


class _SpecialConflict(ConflictError):
    pass


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (NotFoundError("site", "siteId"), 404, "not_found"),
        (ConflictError("site is archived", "siteId"), 409, "conflict"),
        (_SpecialConflict("a subclass", "id"), 409, "conflict"),
        (InvalidError("slot ids must be unique", "slots"), 422, "invalid"),
        (UnusableConfigError("volumes are unusable", "weekdayShapeVolumes"), 400, "invalid"),
        (ForbiddenError("page is not on the site's domain", "url"), 403, "forbidden"),
        (UnavailableError("retry"), 503, "unavailable"),
        (ServiceError("anything else"), 400, "bad_request"),
    ],
)
def test_service_errors_map_to_one_answer(error: ServiceError, status: int, code: str) -> None:
    response = service_error_response(error)
    assert response.status_code == status
    body = orjson.loads(bytes(response.body))
    assert body == {"error": code, "message": error.message, "field": error.field}
