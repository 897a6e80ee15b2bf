# kubechain: a Kubernetes-native control plane for LLM agents.
# `make` (or `make help`) lists the targets. Only Go, make and bash are needed
# for build, generate, verify and test; kubectl and docker only for the
# targets that talk to a cluster or build an image.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

GO ?= go
KUBECTL ?= kubectl
DOCKER ?= docker

# controller-gen is run at a pinned version through `go run`; it is not a
# dependency of the product module and nothing needs to be installed.
CONTROLLER_GEN_VERSION ?= v0.23.0
CONTROLLER_GEN ?= $(GO) run sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VERSION)
# The API uses float64 (LLM sampling parameters), hence allowDangerousTypes.
CRD_OPTIONS ?= crd:allowDangerousTypes=true paths=./api/...
export CONTROLLER_GEN CRD_OPTIONS

# Arguments of `make run`: the local offline demo over the samples.
RUN_ARGS ?= run -f samples/ --fake-llm --fake-slack
IMG ?= kubechain-hookserver:latest
TEST_TIMEOUT ?= 20m

.PHONY: help
help: ## Show this help.
	@echo 'Usage: make <target> [VAR=value]'
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build the hook server into bin/hookserver.
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/hookserver ./cmd/hookserver

.PHONY: run
run: ## Run the offline demo over samples/ with a fake LLM (override with RUN_ARGS=...).
	$(GO) run ./cmd/hookserver $(RUN_ARGS)

.PHONY: test
test: verify vet ## Verify, vet, then run all tests including the API-server tests (builds their binaries with hack/testbin.sh; the first build takes ~10 minutes).
	testbin="$$(hack/testbin.sh | tail -n1)"; \
	KUBECHAIN_TESTBIN="$$testbin" KUBECHAIN_REQUIRE_APISERVER=1 \
		$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

.PHONY: test-unit
test-unit: ## Run the tests in -short mode without requiring the API server (its tests skip when hack/testbin.sh has not built the binaries).
	$(GO) test -short -count=1 -timeout $(TEST_TIMEOUT) ./...

.PHONY: bench
bench: ## Run the benchmarks.
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: generate
generate: ## Regenerate the CRDs in crds/ from api/v1alpha1 with controller-gen.
	rm -f crds/kubechain.humanlayer.dev_*.yaml
	$(CONTROLLER_GEN) $(CRD_OPTIONS) output:crd:artifacts:config=crds

.PHONY: verify
verify: ## Fail when crds/ is stale, gofmt would change a file or go.mod/go.sum are not tidy.
	hack/verify-generated.sh

.PHONY: fmt
fmt: ## Format the Go code with gofmt.
	gofmt -l -w .

.PHONY: vet
vet: ## Run go vet.
	$(GO) vet ./...

.PHONY: docker-build
docker-build: ## Build the hook server image IMG (default kubechain-hookserver:latest; needs Docker with BuildKit).
	$(DOCKER) build -t $(IMG) .

.PHONY: deploy
deploy: ## Install the CRDs, CompositeControllers and hook server into the current cluster (Metacontroller must be installed).
	$(KUBECTL) apply -k deploy/

.PHONY: samples
samples: ## Apply the example application in samples/ to the current namespace (create the secrets first, see samples/secrets.example.yaml).
	$(KUBECTL) apply -k samples/
