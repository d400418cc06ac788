# fintwin: `make demo` runs the main job (quote-to-cash under chaos, checked),
# `make test` runs every check, `make sim` serves the billing fake.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv test lint typecheck pytest sim demo bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 -p no:cacheprovider tests scenarios --fintwin-seed 1

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/billing_bench.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

sim: $(STAMP)
	$(BIN)/fintwin sim billing --port 8002

demo: $(STAMP)
	$(BIN)/fintwin demo
