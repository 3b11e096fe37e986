# perfeval: every target sets itself up (creates .venv and installs the project) first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.perfeval-installed

.PHONY: help install report reports test test-fast bench data clean

help:
	@echo "make report   build the State of the Nation report from the bundled data into outputs/"
	@echo "make reports  build every report with its default parameters"
	@echo "make test     run the whole test suite (unit, reference, notebook and end-to-end tests,"
	@echo "              including the wheel installed in a fresh environment: tests/test_wheel.py)"
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

test: $(STAMP)
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval-lax -p no:cacheprovider perfeval/bundled/notebooks/

bench: $(STAMP)
	$(PY) bench/run_benchmarks.py

data: $(STAMP)
	$(PY) scripts/build_sample_data.py

clean:
	rm -rf outputs/* .pytest_cache
