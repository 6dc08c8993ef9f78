# The two commands a new user needs: `make run` and `make test`.
# Both create the virtual environment on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test lint bench sim clean

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

test: $(STAMP)  ## run the whole suite
	$(BIN)/python -m pytest -q

lint: $(STAMP)  ## the gates CI runs before the tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)  ## print performance numbers (not part of the suite)
	$(BIN)/python bench/run_all.py

sim: $(STAMP)  ## run the stand-in alone
	$(BIN)/polaris sim

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
