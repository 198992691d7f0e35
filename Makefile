# Everyday commands. Each is one line you could type yourself; `make help` lists them.
# PYTHON is the interpreter of your virtualenv (default: the `python` on PATH).
PYTHON ?= python
# `make backup` writes here unless told otherwise: make backup BACKUP=elsewhere.zip
BACKUP ?= data/backups/$(shell date +%F-%H%M%S).db

.PHONY: help install run test coverage test-fast test-sqlite lint format typecheck bench bench-import backup

help:  ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -e 's/:.*## /\t/'

install:  ## runtime, test and lint tools into the current environment
	$(PYTHON) -m pip install -r requirements-dev.txt

run:  ## the app on http://localhost:8501 (demo data on first start)
	$(PYTHON) -m streamlit run app.py

test:  ## the whole suite, as CI runs it (PostgreSQL tests need TEST_DATABASE_URL)
	$(PYTHON) -m pytest

coverage:  ## the whole suite with the coverage figure of db/, ui/, pages/, cli/, seed/ (no threshold; slower)
	$(PYTHON) -m pytest --cov --cov-report=term:skip-covered

test-fast:  ## everything but the browser tests
	$(PYTHON) -m pytest -m "not browser"

test-sqlite:  ## store, page and static tests on SQLite only: no PostgreSQL, no browser
	$(PYTHON) -m pytest -m "not postgres and not browser"

lint:  ## ruff: lint rules, then formatting
	$(PYTHON) -m ruff check
	$(PYTHON) -m ruff format --check

format:  ## ruff: format the tree and apply the safe lint fixes
	$(PYTHON) -m ruff format .
	$(PYTHON) -m ruff check --fix

typecheck:  ## mypy over every layer (pyproject.toml [tool.mypy] lists them), strictly
	$(PYTHON) -m mypy

bench:  ## every figure against its floor on scratch SQLite stores of 10k and 1M orders (a few minutes)
	$(PYTHON) -m bench

bench-import:  ## time a manifest import on a fresh SQLite file
	$(PYTHON) -m bench.import_manifest

backup:  ## a backup of the configured database (DATABASE_URL, or the SQLite file) into $(BACKUP)
	mkdir -p $(dir $(BACKUP))
	$(PYTHON) -m db backup $(BACKUP)
