# Two commands on a fresh machine: `make demo` (set up, run CUBA, write the raster) and
# `make test` (set up, run the test suite). torch is installed first and pinned: an unpinned
# requirement would pull a multi-GB CUDA build.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.neuromem-installed
OUT ?= out/cuba

.PHONY: setup demo test test-slow bench lint spynnaker-check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install torch==2.13.0
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/neuromem run cuba --backend torch --out $(OUT)

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

bench: setup
	$(BIN)/python experiments/bench/bench_cuba.py

lint: setup
	$(BIN)/ruff check .

# neuromem's SpiNNaker mapping against sPyNNaker's own on a virtual board (no hardware). sPyNNaker
# pins its own PyNN and numpy, so it gets a venv of its own, installed once (network access needed).
spynnaker-check: setup
	test -x .venv-spynnaker/bin/python || $(PYTHON) -m venv .venv-spynnaker
	test -f .venv-spynnaker/.spynnaker-installed || (.venv-spynnaker/bin/python -m pip install \
		"sPyNNaker==1!7.4.1" && touch .venv-spynnaker/.spynnaker-installed)
	$(BIN)/python experiments/spynnaker_check.py --out out/spynnaker_check

clean:
	rm -rf out build dist *.egg-info
