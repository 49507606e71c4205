"""The store's exceptions: what the layers above may catch from a unit of work."""

from __future__ import annotations


class StoreError(Exception):
    """A write the database refused; the unit of work it ran in wrote nothing."""


class DuplicateKeyError(StoreError):
    """A row with the same key (an id, an API key hash) already exists."""
