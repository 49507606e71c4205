"""The Dockerfile's rules (deploy/checks/dockerfile_rules.py), on the real file and on broken
variants of it, so each rule is seen to fail."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from deploy.checks import dockerfile_rules as rules
from hypothesis import given
from hypothesis import strategies as st

from promovolve.engine import kernels

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")
BASE = (
    "python:3.11.14-slim-bookworm@sha256:"
    "65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d"
)


def context_with(tmp_path: Path, dockerfile: str) -> Path:
    """A copy of the build context (the files the Dockerfile reads) with another Dockerfile."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt", "README.md", ".dockerignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    return tmp_path


def test_the_repository_dockerfile_keeps_every_rule() -> None:
    assert rules.check_dockerfile(ROOT) == []


def test_the_image_is_multi_stage_and_its_bases_are_pinned() -> None:
    stages = rules.parse_stages(ROOT / "Dockerfile")
    assert [s.name for s in stages] == ["build", "runtime"]
    assert all(s.image == BASE for s in stages)


@pytest.mark.parametrize(
    "image",
    ["python", "python:latest", "python:3.11-slim", "python:3-slim-bookworm", "python@sha256:1"],
)
def test_a_floating_base_image_is_refused(tmp_path: Path, image: str) -> None:
    broken = DOCKERFILE.replace(f"FROM {BASE} AS build", f"FROM {image} AS build")
    problems = rules.check_dockerfile(context_with(tmp_path, broken))
    assert any(f"FROM {image}:" in p for p in problems), problems


def test_a_single_stage_build_is_refused(tmp_path: Path) -> None:
    stages = rules.parse_stages(context_with(tmp_path, f"FROM {BASE}\nUSER 10001\n") / "Dockerfile")
    assert rules.check_pinned_bases(stages) == [
        "the build must be multi-stage (two FROM lines or more)"
    ]


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:promovolve"])
def test_the_server_may_not_run_as_root(tmp_path: Path, user: str) -> None:
    broken = DOCKERFILE.replace("USER 10001:10001", f"USER {user}")
    stages = rules.parse_stages(context_with(tmp_path, broken) / "Dockerfile")
    assert rules.check_runtime_user(stages) == [
        f"USER {user.split(':')[0]}: the server must not run as root"
    ]


def test_a_final_stage_without_user_is_refused(tmp_path: Path) -> None:
    broken = DOCKERFILE.replace("USER 10001:10001\n", "")
    stages = rules.parse_stages(context_with(tmp_path, broken) / "Dockerfile")
    assert rules.check_runtime_user(stages) != []


@pytest.mark.parametrize("path", ["/health", "/metrics"])
def test_the_healthcheck_must_ask_healthz(tmp_path: Path, path: str) -> None:
    broken = DOCKERFILE.replace("/healthz", path)
    stages = rules.parse_stages(context_with(tmp_path, broken) / "Dockerfile")
    assert rules.check_healthcheck(stages) == ["the final stage needs a HEALTHCHECK on /healthz"]


def test_numba_must_be_compiled_into_the_image(tmp_path: Path) -> None:
    no_env = DOCKERFILE.replace("NUMBA_CACHE_DIR=/var/cache/promovolve/numba", "X=1")
    no_run = "\n".join(line for line in DOCKERFILE.splitlines() if "warm_up" not in line)
    for broken in (no_env, no_run):
        stages = rules.parse_stages(context_with(tmp_path, broken) / "Dockerfile")
        assert len(rules.check_numba_warm_up(stages)) == 1


def test_numba_must_be_compiled_as_the_server_user(tmp_path: Path) -> None:
    lines = DOCKERFILE.splitlines()
    user = lines.index("USER 10001:10001")
    warm_up = next(i for i, line in enumerate(lines) if "kernels.warm_up(" in line)
    lines[user], lines[warm_up] = lines[warm_up], lines[user]
    stages = rules.parse_stages(context_with(tmp_path, "\n".join(lines)) / "Dockerfile")
    assert rules.check_numba_warm_up(stages) == [
        "the numba warm-up must run after USER, so the server owns its cache"
    ]


def test_the_warm_up_compiles_into_the_cache_dir_the_image_sets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs the Dockerfile's warm-up code with the compiler stubbed: it must hand
    kernels.warm_up the image's NUMBA_CACHE_DIR."""
    stages = rules.parse_stages(ROOT / "Dockerfile")
    cache_dir = stages[-1].env()["NUMBA_CACHE_DIR"]
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(kernels, "warm_up", lambda *args: calls.append(args))
    monkeypatch.setenv("NUMBA_CACHE_DIR", cache_dir)
    exec(rules.warm_up_code(stages), {})
    assert calls == [(Path(cache_dir),)]


def test_the_image_installs_as_the_makefile_does() -> None:
    assert rules.makefile_installs(ROOT / "Makefile") == [
        ["install", "--quiet", "--upgrade", "pip"],
        ["install", "--quiet", "-c", "constraints.txt", "."],
    ]


def test_an_install_without_the_constraints_is_refused(tmp_path: Path) -> None:
    broken = DOCKERFILE.replace("-c constraints.txt .", ".")
    stages = rules.parse_stages(context_with(tmp_path, broken) / "Dockerfile")
    assert rules.check_install_matches(stages, tmp_path / "Makefile") == [
        "the Dockerfile must run `pip install --quiet -c constraints.txt .` as the Makefile does"
    ]


def test_pip_installs_are_found_between_shell_operators() -> None:
    shell = "python -m venv v && v/bin/pip install -q a; echo 'a && b' | tee x"
    assert rules.pip_installs(shell) == [["install", "-q", "a"]]


def test_a_copy_of_a_missing_or_ignored_file_is_refused(tmp_path: Path) -> None:
    broken = DOCKERFILE.replace(
        "COPY src ./src", "COPY src ./src\nCOPY tests ./tests\nCOPY Makefile ./"
    )
    context = context_with(tmp_path, broken)
    problems = rules.check_copy_sources(rules.parse_stages(context / "Dockerfile"), context)
    assert problems == [
        "COPY tests: no such file in the build context",
        "COPY Makefile: excluded by .dockerignore",
    ]


def test_the_build_context_keeps_the_sources_and_drops_the_rest() -> None:
    ignore = rules.read_dockerignore(ROOT / ".dockerignore")
    for kept in ("pyproject.toml", "constraints.txt", "README.md", "src/promovolve/settings.py"):
        assert not rules.is_ignored(kept, ignore), kept
    for dropped in (
        ".venv/bin/python",
        "var/admin.key",
        "tests/deploy/test_dockerfile.py",
        "src/promovolve/__pycache__/settings.cpython-311.pyc",
        "src/promovolve.egg-info/SOURCES.txt",
        ".git/HEAD",
    ):
        assert rules.is_ignored(dropped, ignore), dropped


segment = st.text(alphabet="abcdefghij._-", min_size=1, max_size=8).filter(
    lambda s: s not in (".", "..")
)


@given(kept=segment, other=segment, rest=st.lists(segment, max_size=3))
def test_an_exception_keeps_exactly_its_tree(kept: str, other: str, rest: list[str]) -> None:
    ignore = [(False, rules._pattern_regex("*")), (True, rules._pattern_regex(kept))]
    assert not rules.is_ignored("/".join([kept, *rest]), ignore)
    assert rules.is_ignored("/".join([other, *rest]), ignore) == (other != kept)


@given(parts=st.lists(segment, min_size=1, max_size=4))
def test_a_double_star_pattern_matches_at_any_depth(parts: list[str]) -> None:
    ignore = [(False, rules._pattern_regex("**/__pycache__"))]
    assert rules.is_ignored("/".join([*parts, "__pycache__", "x.pyc"]), ignore)
    assert rules.is_ignored("__pycache__", ignore)
    assert not rules.is_ignored("/".join(parts), ignore) or "__pycache__" in parts
