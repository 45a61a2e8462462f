# llmhost. On a fresh machine, `make demo` runs every reliability scenario
# offline and `make test` runs every test under the race detector.

GO      ?= go
BIN     := bin/llmhost
# Bundled plugins: Go guests of the llmhost/1 ABI, built with the standard
# toolchain into build/plugins/NAME.wasm (ignored by git).
PLUGINS := calculator jsonextract backoff files

.PHONY: all build plugins demo test vet fmt-check clean FORCE

all: build plugins

## build: the CLI, into bin/llmhost
build: FORCE
	$(GO) build -o $(BIN) ./cmd/llmhost

## plugins: the bundled plugins, into build/plugins/NAME.wasm
plugins: $(PLUGINS:%=build/plugins/%.wasm)

# Always handed to go build, whose cache decides what is stale.
build/plugins/%.wasm: FORCE
	@mkdir -p $(@D)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $@ ./plugins/$*

## demo: every reliability scenario, offline, against the built-in fault server
demo: build plugins
	./$(BIN) demo --plugins build/plugins

## test: vet, formatting, and every test under the race detector
test: vet fmt-check plugins test-tools
	$(GO) test -race -count=1 -timeout 30m ./...

# The hostile guests of the sandbox tests are written in WebAssembly text;
# wat2wasm (Debian's wabt) compiles them.
.PHONY: test-tools
test-tools:
	@command -v wat2wasm >/dev/null || { echo "installing wabt (wat2wasm)"; \
		apt-get update -qq && apt-get install -y -qq wabt >/dev/null; }

vet:
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./pdk/... ./plugins/...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: the benchmarks of bench/ (a module of its own); rewrites BENCHMARKS.md.
## Each figure is the median of BENCH_COUNT runs of BENCH_TIME; BENCH narrows
## them to a regexp of go test -bench (the report then has gaps).
BENCH_COUNT ?= 5
BENCH_TIME  ?= 1s
BENCH       ?= .
.PHONY: bench
bench:
	cd bench && $(GO) run ./cmd/report -go $(GO) -count $(BENCH_COUNT) -benchtime $(BENCH_TIME) -bench '$(BENCH)'

## soak: the long soak of the plugin host (SOAK_CALLS tool calls, 16 at a
## time, 10% panicking, 1% looping to the SOAK_TIMEOUT, 1% hitting the
## memory limit), the fault matrix of the engine and the sandbox tests of
## host/; each writes its section of RELIABILITY.md.
SOAK_CALLS   ?= 10000
SOAK_TIMEOUT ?= 2s
RELIABILITY  := $(CURDIR)/RELIABILITY.md
.PHONY: soak
soak:
	LLMHOST_RELIABILITY_MD=$(RELIABILITY) LLMHOST_SOAK_CALLS=$(SOAK_CALLS) LLMHOST_SOAK_TIMEOUT=$(SOAK_TIMEOUT) LLMHOST_SOAK_MEMORY_MIB=64 \
		$(GO) test -count=1 -timeout 30m -v -run '^(TestSoak|TestFaultMatrix)$$' ./internal/reliability
	LLMHOST_RELIABILITY_MD=$(RELIABILITY) $(GO) test -count=1 -timeout 30m ./host

## fuzz: every fuzz target of the module for FUZZTIME each; writes the fuzzing
## section of RELIABILITY.md and fails if a target found a failing input.
FUZZTIME ?= 60s
.PHONY: fuzz
fuzz:
	$(GO) run ./internal/reliability/cmd/fuzzrecord -go $(GO) -fuzztime $(FUZZTIME) -md $(RELIABILITY)

clean:
	rm -rf bin build
