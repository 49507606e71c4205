"""Where a benchmark's CPU goes: CPU seconds of the servers' processes, Redis, PostgreSQL and
the load generators, read from /proc and from this process's finished children.

On a machine whose cores the servers share with the load generators and the data stores,
that split bounds what more server processes can give: `cores / CPU seconds per request`
is the most requests a second the machine could answer at that cost per request, whatever
the number of processes.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class CpuSplit:
    """CPU seconds (user + system) by part."""

    servers: float
    redis: float
    postgres: float
    load_generators: float

    def __sub__(self, other: CpuSplit) -> CpuSplit:
        return CpuSplit(
            self.servers - other.servers,
            self.redis - other.redis,
            self.postgres - other.postgres,
            self.load_generators - other.load_generators,
        )

    @property
    def total(self) -> float:
        return self.servers + self.redis + self.postgres + self.load_generators

    def per_request_micros(self, requests: int) -> dict[str, float]:
        share = 1e6 / max(1, requests)
        return {
            "servers": round(self.servers * share, 1),
            "redis": round(self.redis * share, 1),
            "postgres": round(self.postgres * share, 1),
            "loadGenerators": round(self.load_generators * share, 1),
            "total": round(self.total * share, 1),
        }


def cores() -> int:
    return len(os.sched_getaffinity(0))


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except (FileNotFoundError, ProcessLookupError):
        return 0.0  # ended since it was listed
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def _processes() -> list[tuple[int, int, str]]:
    """(pid, parent pid, command name) of every process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="ascii")
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.append((int(entry.name), parent, name))
    return found


def _trees(roots: Sequence[int], processes: list[tuple[int, int, str]]) -> set[int]:
    members = set(roots)
    grew = True
    while grew:
        grew = False
        for pid, parent, _ in processes:
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return members


def snapshot(server_pids: Sequence[int]) -> CpuSplit:
    """CPU used so far by the servers (with their children), every `redis-server` and
    `postgres` process, and this process's finished children (the load generators)."""
    processes = _processes()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return CpuSplit(
        servers=sum(_cpu_seconds(p) for p in _trees(server_pids, processes)),
        redis=sum(_cpu_seconds(p) for p, _, name in processes if name == "redis-server"),
        postgres=sum(_cpu_seconds(p) for p, _, name in processes if name == "postgres"),
        load_generators=children.ru_utime + children.ru_stime,
    )


def ceiling_requests_per_second(used: CpuSplit, requests: int) -> float:
    """The most requests a second this machine's cores could answer at the CPU per request
    measured (servers, data stores and load generators together)."""
    if used.total <= 0 or requests <= 0:
        return float("inf")
    return cores() * requests / used.total
