# One entry point for developer tasks. `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
export EVERYDOOR_FAST_HASHER ?= 1

.PHONY: setup demo test test-sqlite test-postgres lint bench postgres browser messages docs

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,spark,pdf]'
	touch $@

setup: $(VENV)/.installed

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

postgres:
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

demo: setup
	$(VENV)/bin/everydoor demo

test: setup browser postgres lint
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# The phone's offline tests (a service worker in chromium against the live server) run in a process of
# their own: after the rest of the suite they missed their first page in some runs (see tests/field).
OFFLINE := tests/field/test_offline.py

test-sqlite:
	$(VENV)/bin/pytest -q --ignore=$(OFFLINE)
	$(VENV)/bin/pytest -q $(OFFLINE)

# Spark reads Parquet, not the database: its tests run once, in the SQLite pass.
test-postgres:
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -q -m "not spark" --ignore=$(OFFLINE)
	DATABASE_URL=$(PG_URL) $(VENV)/bin/pytest -q $(OFFLINE)

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m django makemigrations --check --dry-run --settings=everydoor.config.settings >/dev/null

bench: setup
	for b in bench/[!_]*.py; do $(PY) $$b || exit 1; done

# The web app's Vietnamese catalogue: extract the strings (GNU gettext), then compile the .mo that is committed
# (a fresh machine needs no gettext to run the app; tests/web/test_translations.py checks both are current).
messages: setup
	cd src/everydoor/web && DJANGO_SETTINGS_MODULE=everydoor.config.settings ../../../$(VENV)/bin/django-admin makemessages -l vi --no-obsolete --no-location
	cd src/everydoor/web && DJANGO_SETTINGS_MODULE=everydoor.config.settings ../../../$(VENV)/bin/django-admin compilemessages

docs: setup
	$(PY) -m everydoor.cli.reference > docs/cli.md
