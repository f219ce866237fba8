# guestbook-gitops: every tool is installed into the project by `make setup`
# (.venv for Python, node_modules for the cdk8s CLI, .tools for Go binaries).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := synth

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# jsii warns on every start that Node 20 is end-of-life; this supported switch
# silences exactly that banner for Node 20 (see README, "Node and jsii").
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: setup synth test lint bench cdk8s-synth clean

CHECKOV_VERSION := 3.3.30
CHECKOV := .tools/checkov/bin/checkov
ACTIONLINT_VERSION := v1.7.12
TOOLS_BIN := $(CURDIR)/.tools/bin
ACTIONLINT := $(TOOLS_BIN)/actionlint-$(ACTIONLINT_VERSION)

setup: $(VENV)/.installed node_modules/.installed $(CHECKOV) $(ACTIONLINT) ## install everything the project needs (idempotent)

# Go tools are built from the Go module proxy at pinned versions, one file per version.
$(ACTIONLINT):
	mkdir -p $(TOOLS_BIN)/.build-actionlint
	GOBIN=$(TOOLS_BIN)/.build-actionlint go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(TOOLS_BIN)/.build-actionlint/actionlint $@
	rm -rf $(TOOLS_BIN)/.build-actionlint

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

# checkov has its own venv: its many dependencies must not move the project's pins.
$(CHECKOV): Makefile
	test -x .tools/checkov/bin/python || $(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup ## render every environment into dist/
	$(BIN)/guestbook schema --output environments/overlay.schema.json
	$(BIN)/guestbook synth

cdk8s-synth: setup ## the same render through the pinned cdk8s CLI
	npx --no-install cdk8s synth

test: setup ## run the test suite
	$(BIN)/pytest -q

lint: setup ## ruff, ruff format, mypy (strict on lib/), checkov on dist/prod
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(ACTIONLINT) -shellcheck= -pyflakes= .github/workflows/*.yml
	$(CHECKOV) -d dist/prod --framework kubernetes -o json --quiet --soft-fail --skip-download \
	  | $(BIN)/python .ci/checkov_gate.py .ci/checkov-skips.yaml

bench: setup ## benchmarks (not tests): print timings
	$(BIN)/python bench/render.py

clean: ## remove installed tools and caches (not dist/)
	rm -rf $(VENV) node_modules .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
