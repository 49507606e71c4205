"""Background WAL checkpoints for the SQLite file, off the group commit's path.

By default SQLite checkpoints inside the commit that grows the WAL past 1,000 pages: that
commit copies every changed page back into the database and syncs it while every request
waiting on it stalls. Here a thread of its own, on its own connection, runs a PASSIVE
checkpoint every half second, which copies what it can without blocking the writer; the
writer keeps a far larger automatic checkpoint only as a bound on the WAL's size.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from promovolve.store.database import sqlite_pragmas

logger = logging.getLogger("promovolve.store.checkpoint")

CHECKPOINT_INTERVAL_SECONDS = 0.5
# The writer's own automatic checkpoint (pages): reached only if the background ones fall behind.
WRITER_AUTOCHECKPOINT_PAGES = 10_000


class WalCheckpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on `path` every `interval` seconds until stopped."""

    def __init__(self, path: Path, interval: float = CHECKPOINT_INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="promovolve-sqlite-checkpoint", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        try:
            sqlite_pragmas(conn, None)
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # a busy or failing disk: the writer's bound holds
                    logger.warning("WAL checkpoint failed: %s", exc)
        finally:
            conn.close()
