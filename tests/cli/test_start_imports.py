"""`promovolve serve` imports only what serving needs: the CLI's other commands and Alembic at
head stay out of a start (their imports were a large share of it). Redis's client is
imported (the network's parts are wired in the runtime), a small share."""

from __future__ import annotations

import json
import subprocess
import sys

NOT_AT_START = ("promovolve.sim", "rich", "alembic", "httpx")


def modules_after(code: str) -> set[str]:
    run = code + "; import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", run], check=True, capture_output=True, text=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_the_cli_and_the_app_leave_the_simulator_and_alembic_out() -> None:
    loaded = modules_after("import promovolve.cli.main, promovolve.api.app")
    assert "promovolve.api.runtime" in loaded  # the check sees what a start imports
    for name in NOT_AT_START:
        assert not {m for m in loaded if m == name or m.startswith(name + ".")}, name
