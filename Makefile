# Heard: `make run` to try it, `make test` to test it, `make bench` for figures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
WORKERS ?= 2
# The PostgreSQL the suite also runs against when it answers (CI always has one).
TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The dashboard benchmark's own PostgreSQL database (dropped and made again each run).
BENCH_PG_URL ?= postgresql://postgres@127.0.0.1:5432/heard_bench

.PHONY: run install test test-sqlite test-pg bench clean

$(BIN)/heard: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[pg]'
	touch $@

$(VENV)/.test-deps: $(BIN)/heard pyproject.toml
	$(BIN)/pip install --quiet -e '.[pg,test]'
	touch $@

install: $(BIN)/heard

run: install
	$(BIN)/heard db upgrade
	$(BIN)/heard surveys sync
	HEARD_BASE_URL=$${HEARD_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/heard demo
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	HEARD_BASE_URL=$${HEARD_BASE_URL:-http://127.0.0.1:$(PORT)} \
	  HEARD_REQUIRE_MFA=$${HEARD_REQUIRE_MFA:-false} \
	  $(BIN)/gunicorn --workers $(WORKERS) --bind 127.0.0.1:$(PORT) wsgi:app

test: $(VENV)/.test-deps
	$(BIN)/python -m pytest
	@if $(BIN)/python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' \
	    "$(TEST_PG_URL)" 2>/dev/null; then \
	  echo "== the suite again, on PostgreSQL ($(TEST_PG_URL))"; \
	  HEARD_TEST_DATABASE_URL="$(TEST_PG_URL)" $(BIN)/python -m pytest -m "not browser"; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL does not answer at $(TEST_PG_URL), and CI must test it"; exit 1; \
	else \
	  echo "PostgreSQL does not answer at $(TEST_PG_URL): skipped the PostgreSQL run"; \
	fi

bench: $(VENV)/.test-deps
	$(BIN)/python bench/submissions.py
	$(BIN)/python bench/page_weight.py
	@pg=$$($(BIN)/python -c 'import sys, psycopg; psycopg.connect(sys.argv[1], connect_timeout=3).close()' \
	    "$(TEST_PG_URL)" 2>/dev/null && echo --pg $(BENCH_PG_URL)); \
	set -e; \
	$(BIN)/python bench/dashboard.py $$pg; \
	$(BIN)/python bench/exports.py $$pg

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
