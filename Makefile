# Every target installs what it needs first, so a fresh clone runs `make run` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run lab test lint typecheck unit boundscheck deploy-check bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/promovolve serve

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks deploy
	$(BIN)/ruff format --check src tests benchmarks deploy

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# The engine's tests once more with the compiled loops' array bounds checked (an index out
# of range raises instead of reading past a buffer); its own cache, not the normal one.
boundscheck: $(STAMP)
	NUMBA_BOUNDSCHECK=1 NUMBA_CACHE_DIR="$$(mktemp -d)" $(BIN)/pytest tests/engine

# The Dockerfile's rules and the Kubernetes manifests, rendered and validated offline.
deploy-check: $(STAMP)
	$(BIN)/python -m deploy.checks

test: lint typecheck deploy-check unit boundscheck

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
