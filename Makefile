# Breakwater — build, demo and test entry points.
#
#   make demo   build and replay the crafted attack capture with the built-in rules
#   make test   vet, staticcheck, race-enabled tests (installs what they need)
#
# Both install what they need: Debian packages through apt (as root, or with
# sudo) and Go modules through the module proxy.

SHELL        := /bin/bash
GO           ?= go
BIN          := bin/breakwater
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS      := -s -w -X main.version=$(VERSION)
FUZZTIME     ?= 60s
SOAKTIME     ?= 5m
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Debian packages the test suite uses as independent oracles (tshark), packet
# crafters (scapy), real peers (freeDiameter, osmo-ggsn, osmo-stp), and the
# pinned BPF toolchain that check-generated rebuilds bpf/xdp.c with
# (clang-14, llvm-strip-14, libbpf headers; iproute2 for the XDP tests).
APT_PACKAGES := tshark python3-scapy freediameter osmo-ggsn osmo-stp clang-14 llvm-14 libbpf-dev linux-libc-dev iproute2 redis-server redis-sentinel redis-tools

.PHONY: all build demo demo-inline test deps apt-deps go-deps vet staticcheck unit-test \
        generate check-generated fuzz soak bench bench-go pgo clean

all: build

build: go-deps
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/breakwater

demo: build
	./$(BIN) replay -c testvectors/config.yaml testvectors/diameter/scenarios.pcap

# Breakwater inline on loopback between a lab HSS and a lab partner MME.
demo-inline: build
	CGO_ENABLED=0 $(GO) build -o bin/diampeer ./cmd/diampeer
	@set -e; trap 'kill $$hss $$bw 2>/dev/null; wait 2>/dev/null' EXIT; \
	bin/diampeer hss -listen tcp://127.0.0.1:3869 > bin/demo-hss.log 2>&1 & hss=$$!; \
	./$(BIN) run -c testvectors/inline.yaml > bin/demo-breakwater.log 2>&1 & bw=$$!; \
	sleep 1; \
	echo "== the partner's MME (127.0.0.2) through Breakwater:"; \
	bin/diampeer partner -connect tcp://127.0.0.1:3868 -from 127.0.0.2 -send cer,ulr,idr,dwr; \
	echo "== what the home HSS received:"; sleep 0.3; cat bin/demo-hss.log; \
	echo "== Breakwater's verdict log:"; grep -E 'msg=blocked' bin/demo-breakwater.log || true; \
	echo "== metrics:"; (curl -s 127.0.0.1:9090/metrics || wget -qO- 127.0.0.1:9090/metrics) | grep -E '^breakwater_(messages_total|diameter_local_answers_total\{reason="rejected")' || true

test: deps vet staticcheck check-generated unit-test test-sctp

deps: apt-deps go-deps

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

go-deps:
	$(GO) mod download

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  [ -z "$$out" ] || { echo "not gofmt-formatted (run gofmt -w):"; echo "$$out"; exit 1; }
	$(GO) vet ./...

staticcheck:
	$(GO) tool staticcheck ./...

# As root the XDP tests must run (BREAKWATER_REQUIRE_XDP turns "no BPF
# here" skips into failures); unprivileged, they skip and say why.
unit-test:
	BREAKWATER_REQUIRE_XDP=$(if $(SUDO),,1) $(GO) test -race -count=1 ./...

generate:
	$(GO) generate ./...

# Generated files are committed (so a plain `go build` needs no generator);
# this fails when they are stale.
check-generated:
	$(GO) run ./protocols/diameter/internal/gengrouped /tmp/breakwater-grouped.go
	@cmp -s /tmp/breakwater-grouped.go protocols/diameter/grouped_table.go || \
	  { echo "protocols/diameter/grouped_table.go is stale: run 'make generate'"; exit 1; }
	@tmp=$$(mktemp -d); cp bpf/xdp_bpfel.go bpf/xdp_bpfel.o $$tmp/; \
	$(GO) generate ./bpf/ && cmp -s bpf/xdp_bpfel.o $$tmp/xdp_bpfel.o && cmp -s bpf/xdp_bpfel.go $$tmp/xdp_bpfel.go; rc=$$?; \
	cp $$tmp/xdp_bpfel.go $$tmp/xdp_bpfel.o bpf/; rm -rf $$tmp; \
	[ $$rc = 0 ] || { echo "bpf/xdp_bpfel.{go,o} are stale: run 'make generate'"; exit 1; }

# Run every fuzz target for FUZZTIME each (default 60s): make fuzz FUZZTIME=10m
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

# The benchmark harness (not part of make test): the same S6a load direct,
# through a do-nothing relay, through Breakwater and through freeDiameter,
# interleaved; a table on stdout, bench-results/results.{json,png}. Then
# the replay benchmark on the largest shared capture (skipped without it).
# make bench BENCHFLAGS='-duration 5s -rounds 5 -loads 0.25,0.5,0.75,0.9'
BENCHFLAGS ?=
bench: build apt-deps
	CGO_ENABLED=0 $(GO) build -o bin/bwbench ./cmd/bwbench
	bin/bwbench -breakwater $(BIN) -out bench-results $(BENCHFLAGS)
	$(GO) test -run '^$$' -bench '^BenchmarkReplay$$' -benchmem -benchtime 3s ./firewall/replay/

# Soak test (not part of make test): breakwater run relays mixed valid and
# malformed Diameter (TCP), GTP-C (UDP) and M3UA (TCP) traffic from two lab
# partners for SOAKTIME (default 5m) and reports memory, goroutines and
# message counts; it fails on a lost message or unbounded growth:
# make soak SOAKTIME=1h
soak:
	SOAKTIME=$(SOAKTIME) $(GO) test -tags soak -run '^TestSoak$$' -count=1 -v -timeout 0 ./cmd/breakwater/

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Profile-guided optimisation: cmd/breakwater/default.pgo (committed, used by
# every `go build` of the binary) is a CPU profile of the per-message path —
# decode and judge of Diameter and GTP-C messages. Regenerate after large
# changes to that path.
# The profile the binary is built with: the relays' decode-and-judge path
# and the replay of the largest shared capture, merged.
pgo:
	$(GO) test -run '^$$' -bench 'DecodeJudge' -benchtime 2s -cpuprofile /tmp/breakwater-pgo-engine.prof ./firewall/engine/
	$(GO) test -run '^$$' -bench '^BenchmarkReplay$$/^none$$' -benchtime 4s -cpuprofile /tmp/breakwater-pgo-replay.prof ./firewall/replay/
	$(GO) tool pprof -proto /tmp/breakwater-pgo-engine.prof /tmp/breakwater-pgo-replay.prof > cmd/breakwater/default.pgo

clean:
	rm -rf bin

# Kernel SCTP tests: this host's kernel has no SCTP, so the packages in
# VMTEST_PKGS run inside a QEMU VM booted with Debian's 6.1 kernel (TCG when
# there is no usable KVM; QEMU and the kernel come through apt, cached in
# ~/.cache/breakwater-vmtest). See internal/vmtest/README.md.
# Extra harness flags: make test-sctp VMTEST_FLAGS='-keep -run TestX'
VMTEST_PKGS  ?= ./internal/vmtest/sctpsmoke ./firewall/transport ./firewall/proxy ./bpf
# osmo-stp (dynamically linked) is copied into the VM with its libraries,
# so the M3UA relay is tested against a real STP over kernel SCTP.
VMTEST_FLAGS ?= $(if $(wildcard /usr/bin/osmo-stp),-bin /usr/bin/osmo-stp -env BREAKWATER_OSMO_STP=/usr/bin/osmo-stp)

.PHONY: test-sctp bench-sctp
test-sctp:
	$(GO) run ./internal/vmtest $(VMTEST_FLAGS) $(VMTEST_PKGS)

# The benchmark harness over kernel SCTP, in the VM (not part of make
# test: under software emulation its figures say that it works, not how
# fast). A static breakwater binary is copied in; BWBENCH_SCTP_ARGS are
# extra harness flags, e.g. "-duration 5s".
VMTEST_BW := bin/breakwater-static
bench-sctp:
	CGO_ENABLED=0 $(GO) build -o $(VMTEST_BW) ./cmd/breakwater
	$(GO) run ./internal/vmtest -data $(VMTEST_BW)=/usr/local/bin/breakwater -env BWBENCH_BREAKWATER=/usr/local/bin/breakwater \
	  -env BWBENCH_SCTP=1 -env "BWBENCH_SCTP_ARGS=$(BWBENCH_SCTP_ARGS)" -run TestHarnessRunsSCTP -test-timeout 10m ./cmd/bwbench
