# gigaline: the two commands a fresh clone needs are `make demo` and `make test`.
# Each creates .venv and installs what it needs by itself (reinstalling when pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck layers unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: plan, simulate and run the 20 GWh LFP reference line on embedded defaults, then serve
## the dashboard over its database with the virtual line live (Ctrl-C stops it)
demo: $(STAMP)
	$(BIN)/gigaline demo --force

## test: lint, type-check, layers contract and the whole test suite
test: lint typecheck layers unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile $(PYTEST_ARGS)

## bench: the speed and memory benchmarks (on request, never in CI)
bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
