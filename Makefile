# Two commands matter: `make run` (the demo on embedded SQLite) and `make test`
# (the whole suite on SQLite and again on PostgreSQL, browser tests included).
# Each sets up what it needs: a virtualenv in .venv, Chromium and axe-core for the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres setup setup-test lint bench clean chat production-like

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

setup-test: setup
	bash scripts/setup_test_tools.sh

run: setup
	HAVEYOURSAY_INSTANCE=$(CURDIR)/instance $(VENV)/bin/haveyoursay demo --port $(PORT)

# Text the bot as a child's phone would (the app and a fake Twilio on 127.0.0.1, a demo database).
chat: setup
	$(PY) scripts/chat.py

# What compose.yaml runs, without containers: PostgreSQL, gunicorn over TLS, the worker.
production-like: setup
	bash scripts/ensure_postgres.sh
	bash scripts/run_production_like.sh

test: setup-test
	$(VENV)/bin/ruff check .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: setup
	HYS_TEST_DATABASE=sqlite $(VENV)/bin/pytest

test-postgres: setup
	bash scripts/ensure_postgres.sh
	HYS_TEST_DATABASE=postgresql $(VENV)/bin/pytest

lint: setup
	$(VENV)/bin/ruff check .

bench: setup
	$(PY) bench/webhook.py
	$(PY) bench/schedule.py
	$(PY) bench/report.py
	$(PY) bench/safeguarding.py

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
