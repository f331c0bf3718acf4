# ejournal: the quick start is `make demo` and `make test`; everything bootstraps .venv itself.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-fast lint check format clean bootstrap bench-short

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ejournal needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

bootstrap: $(STAMP)

demo: $(STAMP)
	$(BIN)/ejournal demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not db and not e2e and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

check: lint test

# Every benchmark in its short (CI) mode; each prints one JSON line (bench/README.md). The hot
# reads run on PostgreSQL too when EJOURNAL_TEST_DATABASE_URL names a server.
bench-short: $(STAMP)
	$(BIN)/python bench/delivery.py --short
	$(BIN)/python bench/documents.py
	$(BIN)/python bench/queries.py --short --backend sqlite
	@if [ -n "$$EJOURNAL_TEST_DATABASE_URL" ]; then \
	  echo "$(BIN)/python bench/queries.py --short --database-url <EJOURNAL_TEST_DATABASE_URL>"; \
	  $(BIN)/python bench/queries.py --short --database-url "$$EJOURNAL_TEST_DATABASE_URL"; \
	fi
	$(BIN)/python bench/updates.py --short

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
