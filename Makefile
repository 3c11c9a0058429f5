# roost's build. `make demo` runs the main job, `make test` the tests.
GO       ?= go
BIN      := bin
FUZZTIME ?= 10s
export CGO_ENABLED ?= 0

.PHONY: all build examples test unit integration fuzz lint bench bench-config demo clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/roost ./cmd/roost-shim ./internal/cmd/roost-simtender ./internal/cmd/roost-testimage

# Synthetic images for the examples (not committed: generated, like any
# build output). The simulated tender acts out their behaviour.
examples: build
	mkdir -p examples/hello/images examples/net/images examples/block/images examples/fleet/images
	$(BIN)/roost-testimage -target spt -behaviour 'print Hello, world!; tick 30s' -o examples/hello/images/hello.spt
	$(BIN)/roost-testimage -net service -behaviour serve -o examples/net/images/web.hvt
	$(BIN)/roost-testimage -block storage -behaviour 'block-read storage 0 32; tick 30s' -o examples/block/images/db.hvt
	$(BIN)/roost-testimage -net service -block storage -behaviour serve -o examples/fleet/images/member.hvt
	for e in examples/*/; do $(BIN)/roost validate $$e >/dev/null || exit 1; done

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	GOOS=freebsd $(GO) build ./...
	GOOS=freebsd $(GO) vet ./...
	$(GO) vet -tags integration ./...

unit:
	$(GO) test -count=1 ./...

# Kernel tests: network namespaces, taps, bridges, real processes. They
# need root, /dev/net/tun and iproute2; without root they skip and say so.
integration: build
	$(GO) test -count=1 -tags integration -timeout 15m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseNotes$$' -fuzztime $(FUZZTIME) ./platform/solo5
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./config

test: lint examples unit integration fuzz

# As root: the live benchmarks of issue 9, each figure beside its floor
# measured in the same run (apply and destroy of 100, plan with 1,000
# running, restart beyond the backoff, shim and watch memory, watch idle
# CPU), then one table, printed and written to BENCH.md with the machine,
# the command and the date. It takes several minutes; go test's own output
# goes to bin/bench.log. BENCHTIME sets the runs of each median (at least
# 5x). Loading's benchmark (config) is bench-config.
BENCHTIME ?= 5x
export BENCH_GOTEST = $(GO) test -tags integration -run '^$$' -bench '^BenchmarkLive' -benchtime $(BENCHTIME) -timeout 45m ./cmd/roost

bench: build
	@test "$$(id -u)" = 0 || { echo "make bench: needs root (network namespaces, taps, processes)" >&2; exit 1; }
	@rm -f $(BIN)/bench.jsonl
	@echo "make bench: $$BENCH_GOTEST (several minutes; output in $(BIN)/bench.log)" >&2
	@$(GO) build -o $(BIN)/ ./internal/cmd/roost-benchtable
	@load="$$(cut -d' ' -f1-3 /proc/loadavg)"; ROOST_BENCH_BIN=$(abspath $(BIN)) ROOST_BENCH_JSON=$(abspath $(BIN))/bench.jsonl $(BENCH_GOTEST) >$(BIN)/bench.log 2>&1; rc=$$?; \
		touch $(BIN)/bench.jsonl; \
		$(BIN)/roost-benchtable -in $(BIN)/bench.jsonl -o BENCH.md -cmd "$$BENCH_GOTEST" -go "$$($(GO) version)" -loadavg "$$load" || exit 1; \
		if [ $$rc != 0 ]; then tail -40 $(BIN)/bench.log >&2; echo "make bench: a benchmark failed (exit $$rc); see $(BIN)/bench.log" >&2; exit 1; fi; \
		echo "make bench: wrote BENCH.md" >&2

bench-config:
	$(GO) test -run '^$$' -bench . -benchtime 20x -count 5 ./config

demo: examples
	./scripts/demo.sh

clean:
	rm -rf $(BIN) examples/*/images
