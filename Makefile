# make run   – the embedded platform with demo offices: http://wolomin.localhost:5000
# make test  – the whole suite against PostgreSQL and Redis on localhost, the fuzz suite
#              (tests/fuzz) at depth
# make test-fast – the same without the browser and topology tests, in parallel (~3 min),
#              the fuzz suite with a few examples per form
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# uv installs .venv from uv.lock. It is bootstrapped with nothing but python3 into its own
# small venv (.uv/), pinned to this version (keep deploy/Dockerfile's pin the same).
UV_VERSION := 0.13.9
UV_HOME := .uv
UV := $(UV_HOME)/bin/uv
UV_STAMP := $(UV_HOME)/.uv-$(UV_VERSION)
# .venv with the system's python3; uv never downloads a Python of its own.
UV_ENV := UV_PROJECT_ENVIRONMENT=$(VENV) UV_PYTHON_DOWNLOADS=never

.PHONY: run test test-fast lint format bench lock clean

$(UV_STAMP):
	rm -rf $(UV_HOME)
	python3 -m venv $(UV_HOME)
	$(UV_HOME)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

# --locked: exactly what uv.lock pins (project deps and the dev extra, the project editable),
# and an error if uv.lock no longer matches pyproject.toml (then run `make lock`).
$(STAMP): pyproject.toml uv.lock $(UV_STAMP)
	$(UV_ENV) $(UV) sync --locked --extra dev --python python3
	touch $(STAMP)

# After editing pyproject.toml's dependencies; to move one pinned package to its newest
# release: .uv/bin/uv lock --upgrade-package NAME
lock: $(UV_STAMP)
	$(UV_ENV) $(UV) lock

run: $(STAMP)
	$(VENV)/bin/satysfakcja db upgrade
	$(VENV)/bin/satysfakcja demo
	$(VENV)/bin/satysfakcja run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	HYPOTHESIS_PROFILE=deep $(VENV)/bin/pytest

# The same checks without the browser and topology tests, on two pytest-xdist workers (each
# with its own database, rate-limit keys and Celery queue): about 3 minutes on 2 cores.
test-fast: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2 --dist loadfile -m "not browser and not topology"

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) tests/bench/bench_survey.py

clean:
	rm -rf $(VENV) $(UV_HOME) instance .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
