# Korrigo — `make dev` runs the platform locally, `make test` runs every test. Nothing else is needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
FRONTEND_STAMP := frontend/node_modules/.installed
export AWS_DEFAULT_REGION ?= eu-west-3

.PHONY: dev test lint unit integration e2e frontend-test check-deploy package openapi clean

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

FUNCTIONS_BUILD := infra/build/functions
LAMBDA_PIP := --platform manylinux2014_x86_64 --implementation cp --python-version 3.11 --only-binary=:all:

package: $(STAMP)
	rm -rf infra/build && mkdir -p $(FUNCTIONS_BUILD)
	$(PY) -m pip install --quiet --target $(FUNCTIONS_BUILD) $(LAMBDA_PIP) -r requirements.txt -r functions/requirements.txt
	cp -r chalicelib functions $(FUNCTIONS_BUILD)/
	find $(FUNCTIONS_BUILD) -name __pycache__ -prune -exec rm -rf {} +
	$(PY) -c "import shutil; shutil.make_archive('infra/build/functions', 'zip', '$(FUNCTIONS_BUILD)')"
	$(PY) -m infra.template --stage prod --out infra/build/template.json
	KORRIGO_ALLOWED_ORIGINS='["https://package.invalid"]' KORRIGO_SECRET_KEY=package-time-placeholder-never-deployed \
	  $(VENV)/bin/chalice package --stage prod --merge-template infra/build/template.json infra/build/

openapi: $(STAMP)
	$(VENV)/bin/chalice generate-models --stage dev > docs/openapi.json

check-deploy: $(STAMP)
	$(PY) -m chalicelib.cli check-deploy --stage prod

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist infra/build .pytest_cache
