# One place for every developer and CI command. `make test` is what CI runs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The real services CI uses; override to point elsewhere.
HUB_TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
HUB_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
COVERAGE_FLOOR := $(shell cat .ci/coverage-floor)
# pytest-xdist workers: each has its own database, Redis prefix and demo server.
PYTEST_WORKERS ?= 2

.PHONY: setup static demo lint types test-embedded test-services check test clean

$(BIN)/hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

static: static/vendor/htmx.min.js

setup: $(BIN)/hub static

demo: setup
	$(BIN)/hub demo

lint: setup
	$(BIN)/ruff format --check hub tests benchmarks
	$(BIN)/ruff check hub tests benchmarks

types: setup
	$(BIN)/mypy

# The suite on the embedded defaults: SQLite file and in-process store, with coverage.
test-embedded: setup
	env -u HUB_TEST_DATABASE_URL -u HUB_TEST_REDIS_URL \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup --cov=hub --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR)

# The same suite on PostgreSQL and Redis: the tests that reach storage (tests/conftest.py
# deselects the rest, which already ran above and do not depend on it).
test-services: setup
	HUB_TEST_DATABASE_URL=$(HUB_TEST_DATABASE_URL) HUB_TEST_REDIS_URL=$(HUB_TEST_REDIS_URL) \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -m "not browser and not slow"

check: lint types test-embedded test-services

test: check

clean:
	rm -rf $(VENV) node_modules static/vendor dist build .coverage .pytest_cache .mypy_cache .ruff_cache
