# MeStocker — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# ragas beside the environment (see evals/overlay-requirements.txt for why not inside it).
EVALS_SITE := $(CURDIR)/var/evals-site
EVALS_STAMP := $(EVALS_SITE)/.installed

.PHONY: run test install install-test lint typecheck importlint bench eval clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(STAMP_RUN)

$(EVALS_STAMP): evals/overlay-requirements.txt | $(BIN)/python
	rm -rf $(EVALS_SITE)
	$(BIN)/pip install --quiet --no-deps --target $(EVALS_SITE) -r evals/overlay-requirements.txt
	touch $@

install: $(STAMP_RUN)
install-test: $(STAMP_TEST)

## Set up, migrate and seed the embedded database if empty, index the knowledge base if missing, serve on http://127.0.0.1:8000
run: $(STAMP_RUN)
	$(BIN)/mestocker seed --if-empty
	$(BIN)/mestocker kb index --if-missing
	$(BIN)/mestocker serve --host 127.0.0.1 --port 8000

## Set up with the test extras and run the whole suite (lint, import contracts, types, tests, the eval smoke gate)
test: $(STAMP_TEST) $(EVALS_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	MESTOCKER_EVALS_SITE=$(EVALS_SITE) $(BIN)/python -m pytest $(PYTEST_ARGS)
	MESTOCKER_EVALS_SITE=$(EVALS_SITE) $(BIN)/python -m evals run --suite smoke --split all --leak-probe \
		--out var/evals-smoke --no-progress

lint: $(STAMP_TEST)
	$(BIN)/ruff check .

bench: $(STAMP_TEST)
	$(BIN)/python -m bench.run

## Run the eval suite (dev + held-out, offline model unless an LLM is configured): var/evals/report.html.
## ragas goes beside the environment (var/evals-site, see evals/overlay-requirements.txt). EVAL_ARGS adds options.
eval: $(STAMP_TEST) $(EVALS_STAMP)
	MESTOCKER_EVALS_SITE=$(EVALS_SITE) $(BIN)/python -m evals run --split all --out var/evals $(EVAL_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
