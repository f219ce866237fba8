# guestbook-gitops: every tool is installed into the project by `make setup`
# (.venv for Python, node_modules for the cdk8s CLI, .tools for Go binaries).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := synth

PYTHON ?= python3
GO ?= go
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools
# jsii warns on every start that Node 20 is end-of-life; this supported switch
# silences exactly that banner for Node 20 (see CONTRIBUTING.md "Node and jsii").
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20

.PHONY: setup runtime test-lowest test-network docs tools kubeconform reader cel schemas api-lifecycle synth validate validate-all-minors test lint bench bench-smoke bench-tools cdk8s-synth clean registry-tools e2e-tools failover-tools e2e corpus

CHECKOV_VERSION := 3.3.30
CHECKOV := .tools/checkov/bin/checkov
ACTIONLINT_VERSION := v1.7.12
TOOLS_BIN := $(CURDIR)/.tools/bin
ACTIONLINT := $(TOOLS_BIN)/actionlint-$(ACTIONLINT_VERSION)

# What rendering and validating need; `make synth` installs only this.
RUNTIME := $(VENV)/.runtime tools
runtime: $(RUNTIME) ## install what `guestbook synth` and `guestbook validate` need (idempotent)

setup: $(RUNTIME) $(VENV)/.installed node_modules/.installed $(CHECKOV) $(ACTIONLINT) registry-tools ## install everything the project needs, dev tools included (idempotent)

# Go tools are built from the Go module proxy at pinned versions, one file per version.
$(ACTIONLINT):
	mkdir -p $(TOOLS_BIN)/.build-actionlint
	GOBIN=$(TOOLS_BIN)/.build-actionlint go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	mv $(TOOLS_BIN)/.build-actionlint/actionlint $@
	rm -rf $(TOOLS_BIN)/.build-actionlint

# The package alone (what synth and validate import), then the dev extra on top of it, at the
# exact versions of .ci/constraints.txt (pyproject.toml declares ranges). `guestbook synth` runs
# under python -O (see CONTRIBUTING.md "Node and jsii"): its bytecode is compiled once here,
# since pip compiles only the unoptimized one.
CONSTRAINTS := .ci/constraints.txt
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)
$(VENV)/.runtime: pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PIP_INSTALL) -e .
	$(BIN)/python -O -m compileall -q -j 0 "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')"
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	$(PIP_INSTALL) -e '.[dev]'
	touch $@

# The package at the lowest versions pyproject.toml allows (.ci/lowest.txt), in a venv of its
# own, running the render, construct, overlay and validation tests against this checkout's lib/.
LOWEST := $(TOOLS)/lowest
# (overlay.schema.json is generated with the pinned pydantic, whose schema output differs)
LOWEST_TESTS := tests/test_render.py tests/test_constructs.py tests/test_config.py \
  tests/test_validate_cli.py tests/test_validate_pipeline.py tests/test_rules.py tests/test_pin.py \
  --deselect tests/test_config.py::test_committed_json_schema_is_current
$(LOWEST)/.installed: .ci/lowest.txt $(CONSTRAINTS) pyproject.toml
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	$(LOWEST)/bin/python -m pip install --quiet --disable-pip-version-check -c .ci/lowest.txt .
	$(LOWEST)/bin/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) pytest hypothesis
	touch $@

docs: $(VENV)/.installed ## the API reference, docs/api/, from the public names' docstrings (pdoc)
	rm -rf docs/api
	$(BIN)/python .ci/api_docs.py docs/api

test-network: setup ## the tests that install from the package index: our wheel beside the newest cdk8s (CI)
	$(BIN)/pytest -q -m network

test-lowest: $(LOWEST)/.installed tools registry-tools ## the main tests at the lowest dependency versions allowed (CI)
	PYTHONPATH=$(CURDIR)/lib $(LOWEST)/bin/python -m pytest -q -p no:cacheprovider $(LOWEST_TESTS)

# checkov has its own venv: its many dependencies must not move the project's pins.
$(CHECKOV): Makefile
	test -x .tools/checkov/bin/python || $(PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/python -m pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The validation tools: kubeconform (pinned in lib/guestbook/validate/install.py), guestbook-reader
# (go-reader/, the fast path of `guestbook validate`'s YAML reading), guestbook-cel (go-cel/, the CEL
# rules of CRDs given to --crd; about 3 CPU-minutes cold, seconds with a warm Go build cache) and the
# offline schemas of every supported Kubernetes version, into .tools by `guestbook tools install`,
# the command pip users run (docs/validation.md, "Tools"): one code path. What is current is skipped.
GO_READER := lib/guestbook/validate/go-reader
GO_CEL := lib/guestbook/validate/go-cel
tools: $(VENV)/.runtime ## kubeconform, guestbook-reader, guestbook-cel and the offline schemas into .tools
	$(BIN)/guestbook tools install --dir $(CURDIR)/$(TOOLS)

kubeconform reader cel schemas: tools ## (each installs all the validation tools: `make tools`)

# When each beta/alpha API is deprecated and removed, from k8s.io/api at every selectable
# version (committed: lib/guestbook/manifests/api_lifecycle.json; a test compares it).
api-lifecycle: $(VENV)/.runtime ## regenerate the deprecated/removed API table
	$(BIN)/python -m guestbook.validate.api_lifecycle

# A real OCI registry on loopback for the `guestbook pin` tests, and crane to push to it:
# go-containerregistry at the version pinned in e2e/tools/registry/go.mod (see docs/pinning.md,
# "Image pinning"). Rebuilt only when that module changes.
REGISTRY_TOOLS := e2e/tools/registry
REGISTRY_BINARIES := $(TOOLS_BIN)/test-registry $(TOOLS_BIN)/crane
registry-tools: $(REGISTRY_BINARIES) ## build the test registry and crane into .tools/bin

$(REGISTRY_BINARIES) &: $(REGISTRY_TOOLS)/go.mod $(REGISTRY_TOOLS)/go.sum $(wildcard $(REGISTRY_TOOLS)/cmd/*/*.go)
	mkdir -p $(TOOLS_BIN)
	cd $(REGISTRY_TOOLS) && GOFLAGS="-mod=readonly -buildvcs=false" $(GO) build -trimpath \
	  -o $(TOOLS_BIN)/ ./cmd/test-registry github.com/google/go-containerregistry/cmd/crane
	touch $(REGISTRY_BINARIES)

# End to end (see docs/end-to-end.md "End to end"): a real control plane, kwok nodes, metrics-server,
# Argo CD and Argo Rollouts, built from the Go module proxy at the versions pinned in
# e2e/tools/<component>/go.mod, into .tools/e2e/<component>-<version>/bin/. A folder that exists
# is never rebuilt, so a new pin builds once and the old one stays until `make clean`. Not part
# of `make setup` (a cold build takes about 40-50 minutes on 2 cores, Argo Rollouts about 26 of
# them). redis-server and git come from Debian, installed only when missing.
E2E_TOOLS := $(TOOLS)/e2e
E2E_COMPONENTS := kubernetes etcd argocd kwok metrics-server argo-rollouts
e2e_module_kubernetes := k8s.io/kubernetes
e2e_module_etcd := go.etcd.io/etcd/server/v3
e2e_module_argocd := github.com/argoproj/argo-cd/v3
e2e_module_kwok := sigs.k8s.io/kwok
e2e_module_metrics-server := sigs.k8s.io/metrics-server
e2e_module_argo-rollouts := github.com/argoproj/argo-rollouts
e2e_version = $(shell sed -nE 's#^(require)?[[:space:]]*$(e2e_module_$(1)) (v[^[:space:]]+).*#\2#p' e2e/tools/$(1)/go.mod | head -n1)
E2E_BIN_DIRS := $(foreach c,$(E2E_COMPONENTS),$(E2E_TOOLS)/$(c)-$(call e2e_version,$(c))/bin)

e2e-tools: $(E2E_BIN_DIRS) ## build the end-to-end binaries (cached by version); install redis-server if missing
	@$(MAKE) --no-print-directory failover-tools
	@command -v git >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y git; }

$(E2E_TOOLS)/%/bin:
	GO=$(GO) e2e/tools/build.sh $(word 1,$(subst -v, ,$*)) $(CURDIR)/$@

e2e: setup e2e-tools corpus ## the end-to-end test: Argo CD syncs dist/ from git into a local cluster
	$(BIN)/pytest e2e

synth: $(RUNTIME) ## render every environment into dist/, then validate it (a complete set)
	$(BIN)/guestbook schema --output environments/overlay.schema.json
	$(BIN)/guestbook synth
	$(BIN)/guestbook graph prod --readme docs/tutorial.md
	$(BIN)/python -m guestbook.overlay_table
	$(BIN)/guestbook validate --quiet --complete dist

validate: $(RUNTIME) ## validate dist/ against the target Kubernetes version
	$(BIN)/guestbook validate --complete dist

validate-all-minors: $(RUNTIME) ## validate dist/ against every supported Kubernetes version (CI)
	@for version in $$($(BIN)/python -c 'from guestbook.kubernetes import SUPPORTED_KUBERNETES_VERSIONS as v; print(*v)'); do \
	  echo "== Kubernetes $$version"; \
	  $(BIN)/guestbook validate --quiet --complete --kubernetes-version $$version dist || exit $$?; \
	done

cdk8s-synth: $(RUNTIME) ## the same render through the pinned cdk8s CLI
	npx --no-install cdk8s synth

# The failover test runs Debian's Redis, Sentinel, HAProxy and dnsmasq on loopback
# (tests/test_failover_processes.py, about 30 s); installed only when missing.
FAILOVER_TOOLS := redis-server redis-sentinel haproxy dnsmasq
failover-tools: ## Debian's redis-server, redis-sentinel, haproxy and dnsmasq-base, if missing
	@for tool in $(FAILOVER_TOOLS); do command -v $$tool >/dev/null || test -x /usr/sbin/$$tool || missing=1; done; \
	if [ -n "$${missing:-}" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y redis-server redis-sentinel haproxy dnsmasq-base; fi

# The real-world corpus (see docs/validation.md "The real-world corpus"): manifests shipped in
# Go modules of well-known projects, at the releases pinned in tests/corpus/sources.toml,
# downloaded with `go mod download` into the Go module cache (nothing copied into the project);
# .tools/corpus/index.json says where each release is. tests/test_corpus.py validates them;
# `go mod download` is instant and offline once the releases are in the module cache.
corpus: $(VENV)/.runtime ## download the real-world corpus's pinned module releases (Go module proxy)
	$(BIN)/python -m tests.corpus

test: setup failover-tools corpus ## run the test suite (and guestbook-reader's Go tests, a second or two)
	cd $(GO_READER) && GOFLAGS=-mod=readonly $(GO) test ./...
	$(BIN)/pytest -q

lint: setup ## ruff, ruff format, mypy (strict on lib/), gofmt and go vet (reader, cel), actionlint, checkov on dist/prod and its log collector
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	test -z "$$($$($(GO) env GOROOT)/bin/gofmt -l $(GO_READER) $(GO_CEL))" || { $$($(GO) env GOROOT)/bin/gofmt -l $(GO_READER) $(GO_CEL); exit 1; }
	cd $(GO_READER) && GOFLAGS=-mod=readonly $(GO) vet ./...
	cd $(GO_CEL) && GOFLAGS=-mod=readonly $(GO) vet ./...
	$(ACTIONLINT) -shellcheck= -pyflakes= .github/workflows/*.yml
	for folder in dist/prod dist/prod.logging; do \
	  $(CHECKOV) -d $$folder --framework kubernetes -o json --quiet --soft-fail --skip-download; \
	done | $(BIN)/python .ci/checkov_gate.py .ci/checkov-skips.yaml

# Helm and Kustomize for the fleet benchmark against peers (bench/peers/), pinned, from the
# Go module proxy; one file per version, so reinstalling is a no-op. Not part of `make setup`.
HELM_VERSION := v3.22.0
KUSTOMIZE_VERSION := v5.8.2
HELM := $(TOOLS_BIN)/helm-$(HELM_VERSION)
KUSTOMIZE := $(TOOLS_BIN)/kustomize-$(KUSTOMIZE_VERSION)
bench-tools: $(HELM) $(KUSTOMIZE) ## helm and kustomize for `make bench` into .tools/bin

$(HELM):
	mkdir -p $(TOOLS_BIN)/.build-helm
	GOBIN=$(TOOLS_BIN)/.build-helm $(GO) install -trimpath helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
	mv $(TOOLS_BIN)/.build-helm/helm $@
	rm -rf $(TOOLS_BIN)/.build-helm

$(KUSTOMIZE):
	mkdir -p $(TOOLS_BIN)/.build-kustomize
	GOBIN=$(TOOLS_BIN)/.build-kustomize $(GO) install -trimpath sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(TOOLS_BIN)/.build-kustomize/kustomize $@
	rm -rf $(TOOLS_BIN)/.build-kustomize

BENCH_TOOLS := --helm $(HELM) --kustomize $(KUSTOMIZE)

# The benchmarks time the commands as a user runs them: with Python's bytecode cache, which a
# PYTHONDONTWRITEBYTECODE in the caller's environment would turn off (every run compiling the
# package again), and scratch folders on tmpfs where there is one, as /tmp is on many systems
# (see docs/benchmarks.md). BENCH_TMPDIR=/tmp make bench measures on the disk instead.
BENCH_TMPDIR ?= $(if $(wildcard /dev/shm/.),/dev/shm,$(or $(TMPDIR),/tmp))
BENCH_PYTHON = env -u PYTHONDONTWRITEBYTECODE TMPDIR=$(BENCH_TMPDIR) $(BIN)/python

bench: setup bench-tools ## benchmarks (not tests): fleets vs Helm and Kustomize, --crd; bench/results.json
	$(BENCH_PYTHON) bench/render.py
	$(BENCH_PYTHON) bench/validate.py
	$(BENCH_PYTHON) bench/diff.py
	$(BENCH_PYTHON) bench/fleet.py $(BENCH_TOOLS)
	$(BENCH_PYTHON) bench/crds.py
	$(BENCH_PYTHON) bench/figures.py

bench-smoke: setup bench-tools ## the fleet benchmark at its smallest size, once (CI)
	$(BIN)/python bench/fleet.py --smoke $(BENCH_TOOLS)

clean: ## remove installed tools and caches (not dist/)
	rm -rf $(VENV) node_modules .tools .pytest_cache .mypy_cache .ruff_cache .hypothesis
