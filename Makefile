# practice-search: see README.md. `make` alone lists the targets.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PS := $(BIN)/practice-search
DEMO_INDEX ?= var/demo-index
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install browser demo index-demo test test-fast eval bench lint format clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

install: $(BIN)/python browser ## everything: CPU torch first, the package with dev extras, the offline model
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev,peers]'
	$(PS) model build

browser: ## Debian's headless Chromium for the page tests (skipped when already there)
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; }

index-demo: ## index the bundled sample corpus into $(DEMO_INDEX) (only what changed)
	$(PS) index corpus/sample --index $(DEMO_INDEX)

demo: index-demo ## index the sample corpus and serve the API and page on http://$(HOST):$(PORT)/
	$(PS) serve --index $(DEMO_INDEX) --host $(HOST) --port $(PORT)

test: ## the whole test suite (real model, real server, real browser included)
	$(BIN)/python -m pytest

test-fast: ## the suite without the real-model and browser tests
	$(BIN)/python -m pytest -m "not slow and not browser"

eval: ## retrieval benchmarks (seeds dev set, XQuAD, squad-es-en and mlqa-es-en cut to quick sizes): reports/eval.{json,md,png}
	$(PS) eval --all --json-out reports/eval.json

bench: ## speed, latency, scale: reports/bench.{json,md}
	$(PS) bench --index $(DEMO_INDEX) --json-out reports/bench.json

lint: ## ruff
	$(BIN)/ruff check .

format: ## ruff format
	$(BIN)/ruff format .

clean: ## remove the demo index and caches (not the built model)
	rm -rf var .pytest_cache
