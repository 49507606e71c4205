"""The lab's per-request trace: CSV ``t,day,outcome,campaignId,priceMicros,siteId``.

See PACING_LAB.md, "Output". Traces written before the network lab lack the ``siteId``
column; :func:`read_trace` still reads them (their rows have no site).

The writer is on the lab's hot path (one row per simulated request), so rows are formatted by
hand into a large write buffer; the csv module is only used to read them back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TextIO

HEADER = ("t", "day", "outcome", "campaignId", "priceMicros", "siteId")
OLD_HEADER = HEADER[:-1]
OUTCOMES = frozenset({"selected", "pacingSkipped", "budgetExhausted", "noCandidates", "warmup"})
_BUFFER_BYTES = 1 << 20
# Characters that would need CSV quoting; campaign ids never hold them, so we refuse them.
_UNSAFE = frozenset(',"\r\n')


class TraceError(ValueError):
    """A trace row or file that does not follow the trace format."""


@dataclass(frozen=True, slots=True)
class TraceRow:
    t: float  # seconds since the run began
    day: int
    outcome: str
    campaign_id: str | None
    price_micros: int | None
    site_id: str | None = None  # None in a trace without the siteId column


class TraceWriter:
    """Write a trace file; use as ``with TraceWriter(path) as trace: trace.write(...)``."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._file: TextIO | None = None
        self.rows = 0

    def __enter__(self) -> TraceWriter:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:
        if self._file is not None:
            raise TraceError(f"trace {self.path} is already open")
        self._file = self.path.open("w", encoding="utf-8", newline="", buffering=_BUFFER_BYTES)
        self._file.write(",".join(HEADER) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def write(
        self,
        t: float,
        day: int,
        outcome: str,
        campaign_id: str | None,
        price_micros: int | None,
        site_id: str,
    ) -> None:
        """Append one request; ``campaign_id`` and ``price_micros`` only when selected."""
        file = self._file
        if file is None:
            raise TraceError(f"trace {self.path} is not open")
        if outcome not in OUTCOMES:
            raise TraceError(f"unknown outcome {outcome!r}")
        if campaign_id is None:
            campaign = ""
        elif _UNSAFE.isdisjoint(campaign_id):
            campaign = campaign_id
        else:
            raise TraceError(f"campaign id {campaign_id!r} holds a CSV separator")
        if not _UNSAFE.isdisjoint(site_id):
            raise TraceError(f"site id {site_id!r} holds a CSV separator")
        price = "" if price_micros is None else str(price_micros)
        file.write(f"{t:.6f},{day},{outcome},{campaign},{price},{site_id}\n")
        self.rows += 1


def read_trace(path: Path | str) -> Iterator[TraceRow]:
    """Rows of a trace file, checking the header; empty fields come back as None."""
    with Path(path).open(encoding="utf-8", newline="") as file:
        reader = csv.reader(file)
        header = next(reader, None)
        if header is None or tuple(header) not in (HEADER, OLD_HEADER):
            raise TraceError(f"{path}: expected header {','.join(HEADER)}, got {header}")
        width = len(header)
        for line, fields in enumerate(reader, start=2):
            if len(fields) != width:
                raise TraceError(f"{path}:{line}: expected {width} fields, got {fields}")
            t, day, outcome, campaign, price = fields[:5]
            try:
                row = TraceRow(
                    t=float(t),
                    day=int(day),
                    outcome=outcome,
                    campaign_id=campaign or None,
                    price_micros=int(price) if price else None,
                    site_id=fields[5] if width == len(HEADER) else None,
                )
            except ValueError as error:
                raise TraceError(f"{path}:{line}: {error}") from error
            yield row


class NoTrace:
    """Stands in for a TraceWriter when no trace was asked for."""

    def __enter__(self) -> NoTrace:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(
        self,
        t: float,
        day: int,
        outcome: str,
        campaign_id: str | None,
        price: int | None,
        site_id: str,
    ) -> None:
        return None
