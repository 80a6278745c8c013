# The two commands: `make run` (the product) and `make test` (the suite). Both set up what they need.
# The newest Python from 3.13 down to 3.11 that runs here (a pyenv shim may exist and still refuse).
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench

$(VENV)/.installed: pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "Switchyard needs Python 3.11, 3.12 or 3.13"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	$(PY) -m config.local

test: $(VENV)/.installed
	@.ci/ensure-browser
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
