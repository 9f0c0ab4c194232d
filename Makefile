# The two commands: `make demo` and `make test`. Both create .venv in the repo root (or update it
# when pyproject.toml changed) and install fitwatch with everything it needs into it.
# torch is installed first, pinned, so that nothing pulls another build (see DEVELOPERS.md).

PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.fitwatch-installed
PYTEST_ARGS ?=

export KERAS_BACKEND ?= torch

.PHONY: demo test install bench clean

$(STAMP): pyproject.toml Makefile
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { \
	    echo "make: $(PYTHON) -m venv failed (ensurepip); retrying without pip and installing pip into it"; \
	    df -h . || true; rm -rf $(VENV); \
	    $(PYTHON) -m venv --without-pip $(VENV) && $(PYTHON) -m pip --python $(BIN)/python install --quiet pip; }
	$(BIN)/python -m pip install --quiet --retries 10 "$(TORCH)"
	$(BIN)/python -m pip install --quiet --retries 10 -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/fitwatch demo

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	$(BIN)/python benchmarks/logging_overhead.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
