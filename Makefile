# roost's build. `make demo` runs the main job, `make test` the tests.
GO       ?= go
BIN      := bin
# The fuzzing of make test (CI) counts executions rather than time: with a
# duration, go1.26's fuzz coordinator can fail a run at its deadline with
# "context deadline exceeded" and no crasher (golang/go#75804). The
# observation target is slow (it makes a data directory per input).
FUZZTIME ?= 30000x
FUZZTIME_SLOW ?= 2000x
# fuzz-long, and so torture, run each target this long.
FUZZLONG ?= 5m
PREFIX   ?= /usr/local
DESTDIR  ?=
export CGO_ENABLED ?= 0

.PHONY: all build examples test unit integration fuzz fuzz-long torture lint bench bench-config demo clean install install-systemd

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
	$(GO) vet -tags integration ./...
	GOOS=freebsd GOARCH=amd64 $(GO) build ./...
	GOOS=freebsd GOARCH=amd64 $(GO) vet ./...
	GOOS=freebsd GOARCH=amd64 $(GO) vet -tags integration ./...
	GOOS=freebsd GOARCH=arm64 $(GO) build ./...
	GOOS=freebsd GOARCH=arm64 $(GO) vet ./...
	GOOS=freebsd GOARCH=arm64 $(GO) vet -tags integration ./...

# The unit tests, and the shim's code trim once more in a PIE build,
# whose relocated RELRO segment it must leave alone.
unit:
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -buildmode=pie -run '^TestTrimCode$$' ./platform/shim

# Kernel tests: network namespaces, taps, bridges, real processes. They
# need root, /dev/net/tun and iproute2; without root they skip and say so.
integration: build
	$(GO) test -count=1 -tags integration -timeout 15m ./...

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseNotes$$' -fuzztime $(FUZZTIME) ./platform/solo5
	$(GO) test -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME) ./config
	$(GO) test -run '^$$' -fuzz '^FuzzShallowIsABound$$' -fuzztime $(FUZZTIME) ./config
	$(GO) test -run '^$$' -fuzz '^FuzzParseIfconfig$$' -fuzztime $(FUZZTIME) ./platform
	$(GO) test -run '^$$' -fuzz '^FuzzReadPlanFile$$' -fuzztime $(FUZZTIME) ./plan/planfile
	$(GO) test -run '^$$' -fuzz '^FuzzObserveUnikernel$$' -fuzztime $(FUZZTIME_SLOW) ./platform
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeState$$' -fuzztime $(FUZZTIME) ./internal/albatross
	$(GO) test -run '^$$' -fuzz '^FuzzImportAlbatross$$' -fuzztime $(FUZZTIME_SLOW) ./cmd/roost

# The fuzz targets for minutes each (FUZZLONG) rather than seconds.
fuzz-long:
	$(MAKE) fuzz FUZZTIME=$(FUZZLONG) FUZZTIME_SLOW=$(FUZZLONG)

test: lint examples unit integration fuzz

# The long forms of the hardening harness (issue 8), as root: apply killed
# at every reach of every fault point, 50 random kills of apply and 20 of
# shims (cmd/roost/crash_live_test.go). CI runs the short forms through
# `make integration`.
torture: build
	ROOST_TORTURE=1 $(GO) test -count=1 -tags integration -run 'LiveCrash' -timeout 60m ./cmd/roost
	$(MAKE) fuzz-long

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

# bin/roost to $(PREFIX)/bin; on FreeBSD also the rc.d script to
# $(PREFIX)/etc/rc.d/roost (then: sysrc roost_enable=YES). DESTDIR stages
# both, as ports do.
install: build
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0555 $(BIN)/roost $(DESTDIR)$(PREFIX)/bin/roost
	install -m 0555 $(BIN)/roost-shim $(DESTDIR)$(PREFIX)/bin/roost-shim
	if [ "$$(uname -s)" = FreeBSD ]; then \
		install -d $(DESTDIR)$(PREFIX)/etc/rc.d && \
		install -m 0555 contrib/freebsd/rc.d/roost $(DESTDIR)$(PREFIX)/etc/rc.d/roost; \
	fi

# The systemd units, on Linux, only when asked: they go to /etc/systemd/system.
install-systemd:
	install -d $(DESTDIR)/etc/systemd/system
	install -m 0644 contrib/systemd/*.service contrib/systemd/*.socket contrib/systemd/*.timer $(DESTDIR)/etc/systemd/system/

demo: examples
	./scripts/demo.sh

clean:
	rm -rf $(BIN) examples/*/images
