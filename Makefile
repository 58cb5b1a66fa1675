# The README's commands. `make demo` runs the app on SQLite with demo data;
# `make test` runs lint, type checks and the whole test suite; `make test-fast` the quick loop.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export GRANTS_DATABASE_URL ?= sqlite:///./grants.db

.PHONY: demo test test-fast install lint typecheck pytest messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/grants db upgrade
	$(BIN)/grants demo --reset
	@echo "Open http://$(HOST):$(PORT)/ (demo accounts are listed in README.md)"
	$(BIN)/grants serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest

test: lint typecheck pytest

# The local loop: lint, types and every test on SQLite, without the PostgreSQL copies, the
# browser journeys, the schemathesis run and the fuzz (all four stay in `make test` and in CI).
test-fast: lint typecheck
	$(BIN)/python -m pytest -q -k "not postgresql" \
		--ignore=tests/browser --ignore=tests/api/test_schemathesis.py \
		--ignore=tests/security/test_fuzz.py

messages: install
	mkdir -p grants/locale
	$(BIN)/pybabel extract -F babel.cfg -o grants/locale/messages.pot .

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
