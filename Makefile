# camsweep: `make demo` runs the main job on the embedded NOH network;
# `make test` is what CI runs.
GO        ?= go
PKGS      := ./...
BIN       := bin/camsweep
FUZZTIME  ?= 3s
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
# Platforms every package must build for (CGO_ENABLED=0): a Mac or Windows
# laptop runs scan, identify, diff and registry check; link-layer features
# say they need Linux.
CROSS     ?= linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64

.PHONY: all build test vet lint fmt-check staticcheck cross unit fuzz e2e bench demo release reproducible clean refresh-data

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/camsweep

demo: build
	./$(BIN) demo

# Release binaries for every platform, SHA256SUMS and an SBOM per binary, in
# dist/ (docs/release.md). PLATFORMS narrows it: make release PLATFORMS=linux/amd64
release:
	VERSION=$(VERSION) ./.ci/release.sh $(PLATFORMS)

# Builds twice (here, and from a git archive elsewhere with an empty cache)
# and compares checksums; default linux/amd64 and linux/arm64.
reproducible:
	./.ci/reproducible.sh $(PLATFORMS)

test: lint cross unit fuzz

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(GO) tool staticcheck $(PKGS)

# Every package built for every platform of CROSS, and the tests vetted for
# macOS (build tags keep Linux-only code and the namespace lab on Linux).
# Seconds with a warm build cache; the first run compiles the dependencies
# once per platform.
cross:
	@set -e; for t in $(CROSS); do \
		echo "cross $$t"; \
		CGO_ENABLED=0 GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./...; \
	done
	CGO_ENABLED=0 GOOS=darwin GOARCH=arm64 $(GO) vet $(PKGS)

# Unit, integration and (as root) namespace-lab tests, with the race detector.
unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

# A short run of every fuzz target (go test -fuzz takes one target at a time).
fuzz:
	FUZZTIME=$(FUZZTIME) ./.ci/fuzz.sh

# Only the network-namespace lab tests (needs root).
e2e:
	$(GO) test -count=1 -timeout 20m ./scanner/scantest/netlab/
	$(GO) test -count=1 -timeout 20m -run 'Lab' ./scanner/... ./cmd/camsweep/

# Go benchmarks, then (as root, with nmap) the namespace-lab benchmark:
# camsweep and nmap side by side on 500 emulated hosts over a /16
# (docs/BENCHMARKS.md).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m ./scanner/... ./inventory/... ./fingerprint/... ./cmd/...
	@if [ "$$(id -u)" = 0 ] && command -v nmap >/dev/null; then \
		CAMSWEEP_LAB_BENCH=1 $(GO) test -count=1 -run TestLabBenchmark -v -timeout 180m ./cmd/camsweep/; \
	else echo "lab benchmark skipped: needs root and nmap (apt-get install -y nmap)"; fi

# Refresh the shipped fingerprint data: recog's XML databases from a local
# recog checkout (git clone https://github.com/rapid7/recog), copied
# unchanged, and the IEEE MAC registry from npm's oui-data (npm pack; set
# OUI_DATA=VERSION to pin one). Review the diff, then run go test ./fingerprint/.
RECOG    ?=
OUI_DATA ?= latest
refresh-data:
	@if [ -z "$(RECOG)" ]; then echo "usage: make refresh-data RECOG=/path/to/recog-checkout [OUI_DATA=version]"; exit 2; fi
	./fingerprint/internal/refresh/refresh-data.sh "$(RECOG)" "$(OUI_DATA)"

clean:
	rm -rf bin dist
