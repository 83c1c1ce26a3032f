# Liuqing: two commands on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-fast test-pg lint typecheck browser-deps bench bench-hotspots bench-pg bench-large bench-large-pg clean help

help:
	@echo "make demo    - install, migrate, load the demo data and serve http://127.0.0.1:8000"
	@echo "make test    - the whole suite: lint, types, migrations check, tests with coverage"
	@echo "make test-pg - the test suite against PostgreSQL (DATABASE_URL or 127.0.0.1:5432)"
	@echo "make bench   - benchmarks (JSON figures) on SQLite; make bench-pg on PostgreSQL"
	@echo "make bench-large - the million-appeal benchmarks (~30 min); bench-large-pg on PostgreSQL"

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core fonts-noto-cjk) >/dev/null; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install chromium fonts-noto-core fonts-noto-cjk"; exit 1; \
	  fi; \
	fi

demo: $(STAMP)
	$(BIN)/liuqing demo

lint: $(STAMP)
	$(BIN)/ruff check src bench
	$(BIN)/ruff format --check src bench

typecheck: $(STAMP)
	$(BIN)/mypy src/liuqing/core

test: $(STAMP) browser-deps lint typecheck
	LIUQING_TESTING=1 $(BIN)/python -m django makemigrations --check --dry-run --settings=liuqing.settings
	LIUQING_TESTING=1 $(BIN)/python -m django check --settings=liuqing.settings
	LIUQING_ENV=production SECRET_KEY=ci-$$(date +%s)-not-used-for-anything-real-xxxxxxxxxxxxxxxx ALLOWED_HOSTS=liuqing.example \
	  LIUQING_KEYRING='{"active":"a","keys":{"a":"MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="},"blind_index":"MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="}' \
	  $(BIN)/python -m django check --deploy --fail-level WARNING --settings=liuqing.settings
	LIUQING_TESTING=1 $(BIN)/pytest -n 2 --dist loadfile --cov --cov-report=term:skip-covered --cov-report=html:var/coverage -q
	$(BIN)/coverage report --include='src/liuqing/core/*' --fail-under=85 --omit='*/migrations/*,*/tests/*' | tail -n 1

test-fast: $(STAMP)
	LIUQING_TESTING=1 $(BIN)/pytest -n 2 --dist loadfile -q

test-pg: $(STAMP) browser-deps
	LIUQING_TESTING=1 DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/liuqing} \
	  $(BIN)/pytest -n 2 --dist loadfile -q

bench: $(STAMP)
	$(BIN)/python bench/scope_lists.py --scale 100
	$(MAKE) bench-hotspots
	$(BIN)/python bench/alerts.py
	$(BIN)/python bench/analytics_appeals.py

# Hot-spot core (H3 binning, weights, Gi*, permutations) against esda and h3-py loops.
bench-hotspots: $(STAMP)
	$(BIN)/python bench/hotspots.py

# Drops and recreates the database liuqing_bench on the server of BENCH_DATABASE_URL.
bench-pg: $(STAMP)
	$(BIN)/python bench/scope_lists.py --scale 100 \
	  --database-url $${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

# The appeal pages and the SLA sweep at a million cases; the first run seeds for minutes.
bench-large: $(STAMP)
	$(BIN)/python bench/appeals_lists.py
	$(BIN)/python bench/casework_sweep.py
	$(BIN)/python bench/incident_import.py
	$(BIN)/python bench/visits.py
	$(BIN)/python bench/mediation.py
	$(BIN)/python bench/incident_refresh.py

bench-large-pg: $(STAMP)
	$(BIN)/python bench/appeals_lists.py \
	  --database-url $${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
	$(BIN)/python bench/casework_sweep.py \
	  --database-url $${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}

clean:
	rm -rf $(VENV) var/coverage .mypy_cache .ruff_cache
