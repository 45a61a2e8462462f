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
test: vet fmt-check plugins
	$(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./pdk/... ./plugins/...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

clean:
	rm -rf bin build
