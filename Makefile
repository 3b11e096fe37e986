# perfeval: every target sets itself up (creates .venv and installs the project) first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.perfeval-installed

BIN    := $(VENV)/bin
# Charts render off screen, as in CI (.ci/run), whoever runs make.
export MPLBACKEND ?= Agg
# What `ruff check` and `ruff format` look at (ruff.toml excludes .venv and outputs).
LINTED := perfeval tests bench scripts

.PHONY: help install report reports lint format-check test test-fast bench data clean

help:
	@echo "make report   build the State of the Nation report from the bundled data into outputs/"
	@echo "make reports  build every report with its default parameters"
	@echo "make lint     ruff check (ruff.toml), mypy (mypy.ini) and lint-imports (the layer contracts)"
	@echo "make test     make lint, then the whole test suite (unit, reference, notebook and end-to-end"
	@echo "              tests, including the wheel installed in a fresh environment: tests/e2e/test_wheel.py)"
	@echo "make test-fast the suite without the notebook and slow tests (pytest -m 'not notebook and"
	@echo "              not slow'), under a minute; no lint"
	@echo "make format-check  ruff format --check alone (also part of make lint)"
	@echo "make bench    run the benchmarks (writes outputs/bench/)"
	@echo "make data     rebuild data/ from data/sources/ and the seeded generator"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# This repository is a perfeval workspace (perfeval.toml): reports go to outputs/, and each
# report's parameters are the built-in defaults (perfeval/bundled/params/NAME.yaml).
report: $(STAMP)
	$(VENV)/bin/perfeval run state_of_the_nation

reports: $(STAMP)
	@for nb in perfeval/bundled/notebooks/*.ipynb; do \
	  $(VENV)/bin/perfeval run $$(basename $$nb .ipynb) || exit 1; \
	done

# Static checks, fastest first: lint, formatting (ruff.toml), types (mypy.ini), layers (pyproject).
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo

format-check: $(STAMP)
	$(BIN)/ruff format --check $(LINTED)

test: lint
	$(PY) -m pytest -n auto tests
	$(PY) -m pytest --nbval-lax -p no:cacheprovider perfeval/bundled/notebooks/

# The unit and reference tests: every test marked `notebook` (executes a report) or `slow` (builds
# the wheel) is left out, and the rest runs on every core (pytest-xdist). Under a minute on 2 cores.
test-fast: $(STAMP)
	$(PY) -m pytest -q -n auto -p no:cacheprovider -m "not notebook and not slow" tests

bench: $(STAMP)
	$(PY) bench/run_benchmarks.py

data: $(STAMP)
	$(PY) scripts/build_sample_data.py

clean:
	rm -rf outputs/* .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
