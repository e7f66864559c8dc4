# Realtor AI Copilot — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS ?= never
export PATH := $(HOME)/.local/bin:$(PATH)
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install run dev test lint fmt format docs

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --quiet --break-system-packages uv

.venv/.synced: uv.lock pyproject.toml libs/config/pyproject.toml services/api/pyproject.toml platform/pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $@

install: .venv/.synced ## Install uv if missing and sync the locked environment

run: install ## Serve the API on embedded defaults (HOST, PORT, WORKERS)
	$(RUN) copilot serve

dev: install ## Serve with auto-reload
	$(RUN) copilot serve --reload

test: install ## Run the whole test suite
	$(RUN) pytest

lint: install ## ruff lint + format check, mypy (strict)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

fmt: install ## Apply ruff formatting and safe fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

format: fmt

docs: install ## Regenerate the README configuration table from copilot_config
	$(RUN) python scripts/sync_config_docs.py
