# make run   – the embedded platform with demo offices: http://wolomin.localhost:5000
# make test  – the whole suite against PostgreSQL and Redis on localhost
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/satysfakcja db upgrade
	$(VENV)/bin/satysfakcja demo
	$(VENV)/bin/satysfakcja run --host 127.0.0.1 --port 5000

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) tests/bench/bench_survey.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
