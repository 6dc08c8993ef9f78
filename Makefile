# The two commands a new user needs: `make run` and `make test`.
# Both create the virtual environment on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test test-under-load lint bench sim clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Polaris needs Python 3.11+; $(PYTHON) is $$($(PYTHON) -V 2>&1)." \
	       "Run e.g.: make PYTHON=python3.11 run"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

run: $(STAMP)  ## open the console on the embedded demo (stand-in SteVe + Lago)
	$(BIN)/polaris

# Workers for pytest-xdist. Most tests wait on a stand-in, a pty or a
# subprocess, so more workers than cores still pays on a 2-core machine.
TEST_WORKERS ?= 4

# --maxschedchunk=1: hand tests out as workers free up. By default xdist
# gives each worker a block of ~80 consecutive tests up front, which puts
# the long tests tests/ordering.py starts first on one or two workers.
test: $(STAMP)  ## run the whole suite (in parallel)
	@# Bytecode once: the suite starts many consoles and stand-ins, and where
	@# PYTHONDONTWRITEBYTECODE is set each compiled Polaris from source (~0.5 s).
	$(BIN)/python -m compileall -q -j 0 polaris_tui chargesim tests >/dev/null
	@# pytest caches each test module's assertion rewrite beside its bytecode,
	@# unless that variable is set: then every worker rewrote every module at
	@# each run (~3.5 CPU-s a worker). An empty value counts as unset.
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --maxschedchunk=1

test-under-load: $(STAMP)  ## `make test` with two CPU-bound processes beside it
	MAKE="$(MAKE)" scripts/test-under-load.sh

lint: $(STAMP)  ## the gates CI runs before the tests (also in .pre-commit-config.yaml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)  ## print performance numbers (not part of the suite)
	$(BIN)/python bench/run_all.py

sim: $(STAMP)  ## run the stand-in alone
	$(BIN)/polaris sim

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
