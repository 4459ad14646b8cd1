# k3sup-pi — build, test and demo targets. `make help` lists them.
SHELL := /bin/bash
GO ?= go
BIN := bin/k3sup-pi
N ?= 4
FLEET ?= demo
GOBIN := $(shell $(GO) env GOPATH)/bin
E2E_TIMEOUT ?= 75m
FUZZTIME ?= 20s
FUZZMINIMIZETIME ?= 60s
TEST_FUZZTIME ?= 10s

.PHONY: help build deps lint test e2e check fleet fleet-down image demo bench fuzz clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build bin/k3sup-pi
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN) ./cmd/k3sup-pi

deps: ## install what the tests and the fleet need (apt: debootstrap, kubernetes-client, shellcheck; staticcheck)
	@bash scripts/deps.sh

lint: deps ## gofmt, go vet, staticcheck (also over the e2e build tag) and shellcheck over every shell script
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "not gofmt-clean:"; echo "$$bad"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./e2e/...
	$(GOBIN)/staticcheck ./...
	$(GOBIN)/staticcheck -tags e2e ./e2e/...
	shellcheck $$(git ls-files '*.sh') e2e/image/files/usr/local/sbin/*

test: ## unit and integration tests (no Docker needed), then every fuzz target for TEST_FUZZTIME (10s)
	$(GO) test -count=1 ./...
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME) FUZZMINIMIZETIME=2s

e2e: deps build ## end-to-end tests on a Docker fleet of Pi-like hosts
	$(GO) test -count=1 -tags e2e -p 1 -timeout $(E2E_TIMEOUT) -v ./e2e/... 2>&1 | tee e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic|\s+\S+_test.go)' ; exit $${PIPESTATUS[0]}

check: deps lint test e2e ## everything CI runs: deps, lint, unit tests, e2e

image: deps ## build (or reuse) the Pi-like host image
	$(GO) run ./e2e/cmd/fleet image

fleet: deps build ## start N Pi-like hosts (make fleet N=4) and print the inventory path
	$(GO) run ./e2e/cmd/fleet up -name $(FLEET) -n $(N)

fleet-down: ## stop and remove every fleet container and network
	$(GO) run ./e2e/cmd/fleet down -all

demo: deps build ## a 4-host local fleet, `k3sup-pi up` on it, then kubectl get nodes
	@bash scripts/demo.sh

bench: deps build ## benchmarks that print numbers (unit benches, then an e2e `up` timing)
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) test -count=1 -tags e2e -run '^$$' -bench . -benchtime 1x -timeout 30m ./e2e/...

fuzz: ## run each fuzz target for FUZZTIME (20s); a failing input is saved under its package's testdata/fuzz: commit it
	@for file in $$(grep -rlE '^func Fuzz[A-Z]' --include='*_test.go' internal cmd | sort); do \
		for f in $$(sed -nE 's/^func (Fuzz[A-Za-z0-9_]+)\(.*/\1/p' $$file); do \
			echo "fuzz $$f in ./$$(dirname $$file) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) ./$$(dirname $$file) || exit 1; \
		done; \
	done

clean: ## remove build output and fleet state
	rm -rf bin e2e/.fleet e2e.log
