# Waypost: `make run` starts a server with demo data; `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Installs again only when pyproject.toml changes.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed
# The official Node tracking clients the tests run; installed again only when their manifest changes.
NODE_CLIENTS := tests/node/node_modules/.installed

.PHONY: run test test-fast lint format docs screenshots clean

$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e .
	touch $@

$(DEV): $(RUNTIME)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(NODE_CLIENTS): tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund
	touch $@

# The snippet's build tools (esbuild, TypeScript) and libraries; again only when its manifest changes.
SDK_MODULES := sdk/node_modules/.installed
$(SDK_MODULES): sdk/package.json sdk/package-lock.json
	cd sdk && npm ci --no-audit --no-fund
	touch $@

.PHONY: sdk sdk-check
## Build waypost.js from sdk/ into src/waypost/snippet/dist/ (commit the result) and print its sizes
sdk: $(SDK_MODULES)
	cd sdk && npm run --silent build

## Fail when the committed snippet differs from a fresh build, or a file is over its size budget
sdk-check: $(SDK_MODULES)
	cd sdk && npm run --silent check

## Start Waypost on http://127.0.0.1:8000 (WAYPOST_HOST / WAYPOST_PORT change it) with data in ./.waypost
run: $(RUNTIME)
	$(BIN)/waypost serve --bootstrap

## The type check, then every test, on SQLite and PostgreSQL, with the browser tests in Debian's
## Chromium; in two workers (every test makes its own databases and servers on free ports)
test: $(DEV) $(NODE_CLIENTS) sdk-check
	$(BIN)/mypy src
	WAYPOST_TEST_POSTGRES_URL=$$(scripts/test-services.sh) $(BIN)/python -m pytest -n 2

## The fast set: no browser, SQLite only, no scale tests (under 3 minutes)
test-fast: $(DEV) $(NODE_CLIENTS)
	WAYPOST_QUICK_PROPERTIES=1 $(BIN)/python -m pytest -n 2 -m "not browser and not postgres and not slow"

## Lint, formatting and types; then the docs' status check (quoted figures, links, anchors)
lint: $(DEV)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy src
	$(BIN)/python scripts/check_status.py

format: $(DEV)
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

## Regenerate the generated pages: docs/configuration.md (settings) and docs/cli.md (commands)
docs: $(RUNTIME)
	$(BIN)/waypost config reference > docs/configuration.md
	$(BIN)/python scripts/cli_reference.py > docs/cli.md

## Regenerate the screenshots in README.md and docs/ from the browser tests (Debian's Chromium)
screenshots: $(DEV)
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache tests/node/node_modules sdk/node_modules

## Ingest benchmark: /v1/batch on a real server beside the DuckDB ceiling (BENCH_ARGS="--clients 16")
.PHONY: bench
bench: $(RUNTIME)
	$(BIN)/python bench/ingest.py $(BENCH_ARGS)

## Funnel benchmark: Waypost's funnel beside ClickHouse's windowFunnel (chDB) on 10M events
## (FUNNEL_ARGS="--data-dir /tmp/funnel" keeps the generated events for the next run)
BENCH := $(VENV)/.bench-installed
$(BENCH): $(RUNTIME)
	$(BIN)/pip install -q -e '.[dev,bench]'
	touch $@

.PHONY: bench-funnel
bench-funnel: $(BENCH)
	$(BIN)/python bench/funnel.py $(FUNNEL_ARGS)

## Retention and paths benchmark: Waypost's beside chDB's, on the funnel benchmark's events
## (INSIGHTS_ARGS="--data-dir /tmp/funnel" reuses the events bench-funnel kept there)
.PHONY: bench-insights
bench-insights: $(BENCH)
	$(BIN)/python bench/insights.py $(INSIGHTS_ARGS)

## Measurement insights benchmark: survey, engagement, goal and the impact calculators against their
## targets (under 1 s and 2 GB), on the funnel benchmark's events plus guidance events and accounts
## (MEASUREMENT_ARGS="--data-dir /tmp/funnel" reuses the events and adds the rest beside them)
.PHONY: bench-measurement
bench-measurement: $(RUNTIME)
	$(BIN)/python bench/measurement.py $(MEASUREMENT_ARGS)

## Mutation testing of the rule modules with mutmut: tracking validation, identity rules, the
## store's dedupe and scoping, the insight scope, the funnel rules (slow: hours on two cores; not
## part of `make test`). Mutants are made in mutants/, never in src/. Verdicts on the survivors:
## docs/lab/mutation.md. MUTANTS="waypost.events.identity.*" narrows the run.
MUTANTS ?= 'waypost.tracking.messages.*' 'waypost.events.identity.*' \
	'waypost.insights.properties.*' 'waypost.insights.funnels.*' 'waypost.insights.funnel_walk.*' \
	$(foreach f,_append forget_old_message_ids _is_among list_events _person_id find_person \
	person_ids erase_person _traits,'waypost.events.duckdb_store.*$(f)__mutmut_*')
MUTATE_JOBS ?= 1
.PHONY: mutate
mutate: $(DEV)
	WAYPOST_QUICK_PROPERTIES=1 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(BIN)/mutmut results
