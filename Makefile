# Korrigo — `make dev` runs the platform locally, `make test` runs every test. Nothing else is needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FRONTEND_STAMP := frontend/node_modules/.installed
export AWS_DEFAULT_REGION ?= eu-west-3

.PHONY: dev test lint unit integration e2e screenshots frontend-test check-deploy maintenance package lint-infra redrive backup restore openapi clean

$(STAMP): requirements.txt requirements-dev.txt functions/requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip<26.3"  # chalice 1.34 requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt -r functions/requirements.txt
	touch $@

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: $(FRONTEND_STAMP) $(shell find frontend/src frontend/index.html frontend/vite.config.ts -type f 2>/dev/null)
	cd frontend && npm run build --silent

dev: $(STAMP) frontend/dist/index.html
	$(PY) -m infra.local.dev

test: lint unit integration frontend-test e2e

lint: $(STAMP)
	$(VENV)/bin/ruff check .

unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

integration: $(STAMP) frontend/dist/index.html  # the platform tests serve the built SPA
	$(PY) -m pytest tests/integration -q

frontend-test: $(FRONTEND_STAMP)
	cd frontend && npm test --silent

e2e: $(STAMP) frontend/dist/index.html
	bash infra/local/ensure-chromium.sh
	$(PY) -m pytest tests/e2e -q

# docs/screenshots/: the whole journey in a French browser, saving the desk, gradebook and portal.
screenshots: $(STAMP) frontend/dist/index.html
	bash infra/local/ensure-chromium.sh
	KORRIGO_SCREENSHOTS=docs/screenshots $(PY) -m pytest tests/e2e/test_whole_journey.py -q

FUNCTIONS_BUILD := infra/build/functions
LAMBDA_PIP := --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 --only-binary=:all:

package: $(STAMP)
	rm -rf infra/build && mkdir -p $(FUNCTIONS_BUILD)
	$(PY) -m pip install --quiet --target $(FUNCTIONS_BUILD) $(LAMBDA_PIP) -r requirements.txt -r functions/requirements.txt
	cp -r chalicelib functions $(FUNCTIONS_BUILD)/
	find $(FUNCTIONS_BUILD) -name __pycache__ -prune -exec rm -rf {} +
	$(PY) -m compileall -q --invalidation-mode unchecked-hash $(FUNCTIONS_BUILD)  # no compile at each cold start
	$(PY) -c "import shutil; shutil.make_archive('infra/build/functions', 'zip', '$(FUNCTIONS_BUILD)')"
	$(PY) -m infra.template --stage prod --out infra/build/template.json
	KORRIGO_ALLOWED_ORIGINS='["https://package.invalid"]' KORRIGO_SECRET_KEY=package-time-placeholder-never-deployed \
	  $(VENV)/bin/chalice package --stage prod --merge-template infra/build/template.json infra/build/
	$(PY) -m infra.bytecode infra/build/deployment.zip  # the API's zip ships bytecode too

openapi: $(STAMP)
	$(VENV)/bin/chalice generate-models --stage dev > docs/openapi.json

# The running `make dev`'s endpoint (AWS_ENDPOINT_URL, by default its emulator on KORRIGO_EMULATOR_PORT).
LOCAL_STACK_ENV = AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL:-http://127.0.0.1:$${KORRIGO_EMULATOR_PORT:-4566}} \
  AWS_ACCESS_KEY_ID=$${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=$${AWS_SECRET_ACCESS_KEY:-test}

# cfn-lint on the merged template of `make package`: errors fail, warnings are listed.
lint-infra: $(STAMP)
	test -f infra/build/sam.json || $(MAKE) package
	status=0; $(VENV)/bin/cfn-lint --regions $(AWS_DEFAULT_REGION) -- infra/build/sam.json || status=$$?; \
	if [ $$((status & 3)) -ne 0 ]; then echo "cfn-lint: errors in infra/build/sam.json" >&2; exit 1; fi; \
	if [ $$status -eq 0 ]; then echo "cfn-lint: infra/build/sam.json is clean"; \
	else echo "cfn-lint: warnings only (listed above)"; fi

# Send a function's dead-letter queue back to its queue: make redrive QUEUE=ingest, against the running
# `make dev` by default, or with AWS=1 a deployed stack (usual credentials, its KORRIGO_RESOURCE_PREFIX).
redrive: $(STAMP)
	@test -n "$(QUEUE)" || { echo "usage: make redrive QUEUE=ingest|ocr|render|accounts|sheets|rescore [AWS=1]" >&2; exit 2; }
	$(if $(filter 1 yes true,$(AWS)),,$(LOCAL_STACK_ENV)) \
	  $(PY) -m infra.redrive $(QUEUE) $(if $(filter 1 yes true,$(AWS)),--aws)

# Against the running make dev (its endpoint from .korrigo/dev.json), AWS_ENDPOINT_URL, or AWS.
backup: $(STAMP)
	@test -n "$(OUT)" || { echo "usage: make backup OUT=dir" >&2; exit 2; }
	$(PY) -m infra.backup backup "$(OUT)"

restore: $(STAMP)
	@test -n "$(FROM)" || { echo "usage: make restore FROM=dir [FORCE=1]" >&2; exit 2; }
	$(PY) -m infra.backup restore "$(FROM)" $(if $(filter 1 yes true,$(FORCE)),--force)

check-deploy: $(STAMP)
	$(PY) -m chalicelib.cli check-deploy --stage prod

# One maintenance pass (DRY_RUN=1: only report). Against the running `make dev`, or with AWS=1 a deployed
# stack with the usual credentials and its KORRIGO_RESOURCE_PREFIX (and KORRIGO_BUCKET_NAME if set).
maintenance: $(STAMP)
	$(if $(filter 1 yes true,$(AWS)),,$(LOCAL_STACK_ENV)) \
	  $(PY) -m chalicelib.cli maintenance $(if $(filter 1 yes true,$(DRY_RUN)),--dry-run)

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist infra/build .pytest_cache
