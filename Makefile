# Near Miss: `make help` lists the targets. Every target sets up what it needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The Lambda runtime is python3.13: find that interpreter (on PATH, through pyenv, or as PYTHON=...).
PYTHON ?= $(shell for p in python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null | sort -V | tail -1) /usr/local/bin/python3.13 /usr/bin/python3.13; do "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { command -v "$$p"; break; }; done)
PORT ?= 8000

.PHONY: help venv demo test browser lint types template unit reliability bench replay serve build validate deploy receiving-check e2e clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
		echo "error: Python 3.13 (the Lambda runtime) was not found. Install it (e.g. 'pyenv install 3.13') or run 'make PYTHON=/path/to/python3.13 ...'." >&2; exit 1; fi
	@if ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
		echo "setting up $(VENV) with $$($(PYTHON) --version)"; rm -rf $(VENV) && "$(PYTHON)" -m venv $(VENV); fi
	@$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create the virtualenv (Python 3.13) with every dependency

demo: $(STAMP) ## Run the whole playbook offline on the embedded default (moto), months in seconds
	@$(PY) -m nearmiss_local.demo

test: $(STAMP) browser lint types template unit build e2e ## Lint, types, the template check, the tests, sam build and the MiniStack end-to-end run

lint: $(STAMP) ## ruff check and format check
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .

types: $(STAMP) ## mypy (strict) on the nearmiss package
	@$(VENV)/bin/mypy

template: $(STAMP) ## Translate template.yaml with aws-sam-translator, then lint the result with cfn-lint
	@$(PY) -m nearmiss_local.check_template

browser: ## Debian's Chromium and ChromeDriver for the page tests (installed when missing and run as root)
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium and chromium-driver (Debian) for the browser tests"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "note: browser tests need Debian's chromium and chromium-driver (sudo apt-get install chromium chromium-driver)"; fi; fi

unit: $(STAMP) ## The test suite
	@$(VENV)/bin/pytest

reliability: $(STAMP) ## The fault, load and hostile-input suite, with its table
	@$(VENV)/bin/pytest tests/reliability -m reliability -s

bench: $(STAMP) ## Benchmarks: cold start, requests per rejection, dispatcher scaling (writes bench/results.json)
	@$(PY) bench/run.py

replay: $(STAMP) ## Replay the dead-letter queue (QUEUE=<DeadLetterQueueUrl> BUS=<EventBusName> FEEDBACK=<FeedbackFunctionName>)
	@$(PY) -m nearmiss.replay --queue-url "$(QUEUE)" --bus "$(BUS)" $(if $(FEEDBACK),--feedback-function "$(FEEDBACK)")

serve: $(STAMP) ## The API on 127.0.0.1:$(PORT) on the embedded default, with the dispatcher ticking
	@$(PY) -m nearmiss_local.serve --port $(PORT)

# SAM CLI in its own venv: its pins (boto3/botocore 1.43, click 8.1) clash with the test venv's.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
SAM := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam

$(SAM_STAMP): tools/sam/requirements.txt
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
		echo "error: Python 3.13 (the Lambda runtime) was not found. Install it (e.g. 'pyenv install 3.13') or run 'make PYTHON=/path/to/python3.13 ...'." >&2; exit 1; fi
	@echo "setting up $(SAM_VENV) (SAM CLI) from tools/sam/requirements.txt"
	@rm -rf $(SAM_VENV) && "$(PYTHON)" -m venv $(SAM_VENV)
	@$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/sam/requirements.txt
	@touch $(SAM_STAMP)

build: $(STAMP) $(SAM_STAMP) ## sam build (no container), then check the layer holds only aarch64 / cp313 code
	@PATH="$$(dirname "$$(command -v "$(PYTHON)")"):$$PATH" $(SAM) build
	@$(PY) -m nearmiss_local.build_check .aws-sam/build

# A new CodeHash publishes new versions behind the alias "live": SAM's own version hash sees neither the
# layer (all the code) nor parameter values, so hash the code and the deploy settings.
CODE_HASH = $(shell cat template.yaml samconfig.toml $$(git ls-files functions shared) 2>/dev/null | sha256sum | cut -c1-16)

# (sam deploy's --parameter-overrides replaces the saved ones, so every parameter is given here: PARAMS.)
deploy: build ## sam deploy PARAMS="SenderDomain=... AlarmEmail=..." [ARGS=--guided], publishing this code's version
	@PATH="$$(dirname "$$(command -v "$(PYTHON)")"):$$PATH" $(SAM) deploy $(ARGS) \
		--parameter-overrides $(PARAMS) CodeHash=$(CODE_HASH)

# Read-only: an account has one active SES rule set per Region, so the stack never activates its own.
receiving-check: $(STAMP) ## Is the deployed stack receiving replies? (STACK=<stack name>; prints the MX and the one-time activation)
	@$(PY) -m nearmiss_local.receiving_check --stack "$(STACK)" $(if $(REGION),--region "$(REGION)")

validate: $(SAM_STAMP) ## sam validate --lint on template.yaml
	@$(SAM) validate --lint

# MiniStack, a local AWS emulator, in its own venv (its botocore pin clashes with the test venv's).
E2E_VENV := .venv-ministack
E2E_STAMP := $(E2E_VENV)/.installed
E2E_ARGS ?= --invoke-dispatcher

$(E2E_STAMP): tools/ministack/requirements.txt
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null; then \
		echo "error: Python 3.13 (the Lambda runtime) was not found; make PYTHON=/path/to/python3.13 e2e" >&2; exit 1; fi
	@echo "setting up $(E2E_VENV) (MiniStack) from tools/ministack/requirements.txt"
	@rm -rf $(E2E_VENV) && "$(PYTHON)" -m venv $(E2E_VENV)
	@$(E2E_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r tools/ministack/requirements.txt
	@touch $(E2E_STAMP)

e2e: $(SAM_STAMP) $(E2E_STAMP) ## The built template deployed to MiniStack and driven end to end (E2E_ARGS= waits for the real schedule)
	@$(E2E_VENV)/bin/python local/nearmiss_local/e2e_ministack.py --sam $(SAM_VENV)/bin/sam $(E2E_ARGS)

clean: ## Remove the virtualenvs and build output
	rm -rf $(VENV) $(SAM_VENV) $(E2E_VENV) .aws-sam .mypy_cache .ruff_cache
