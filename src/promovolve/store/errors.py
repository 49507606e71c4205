"""The store's exceptions: what the layers above may catch from a unit of work."""

from __future__ import annotations


class StoreError(Exception):
    """A write the database refused; the unit of work it ran in wrote nothing."""


class ConstraintError(StoreError):
    """The database refused the rows: a key that exists already (an id, an API key hash)."""


class StoreUnavailableError(StoreError):
    """The database could not be reached or failed mid-transaction; a retry may work."""


class WriteInDoubtError(StoreUnavailableError):
    """The connection failed after a batch was sent: the database may have committed it.
    Whatever it reserved stays reserved (spending less is safe; selling it again is not)."""
