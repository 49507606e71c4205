"""The service layer's exceptions; api/errors.py turns each kind into one HTTP answer."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the services refused; nothing was written."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(ServiceError):
    """No such object, or not one the caller may see."""

    def __init__(self, what: str, field: str | None = None) -> None:
        super().__init__(f"{what} not found", field)


class ConflictError(ServiceError):
    """The object exists already, or its state does not allow the change (archived)."""


class InvalidError(ServiceError):
    """A value that is well-formed but unusable (answered 422)."""


class UnusableConfigError(ServiceError):
    """A config the engine could not run with (answered 400)."""


class ForbiddenError(ServiceError):
    """Known caller, action not allowed (answered 403)."""


class UnavailableError(ServiceError):
    """The database could not record the request; retrying may work (answered 503)."""
