# gyro: the two commands a newcomer needs.
#   make run    serve Pyro4's test echo object on embedded defaults
#   make test   install what the tests need (the real Pyro4), then run them
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GO ?= go

.PHONY: run test deps crossbuild test-arm32 bench fuzz

run:
	$(GO) run ./cmd/gyro echoserver $(ARGS)

# The interop tests drive the real Pyro4 4.82 from Debian (system python3)
# and the real Pyro5 5.15 (see scripts/pyro5-deps.sh).
deps:
	@/usr/bin/python3 -c 'import Pyro4, msgpack' 2>/dev/null && [ -d /usr/share/doc/pyro4/examples ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-pyro4 pyro4-examples python3-msgpack; }
	@# Pyro5 conflicts with Pyro4 as a Debian package: fetched into a cache dir instead.
	@scripts/pyro5-deps.sh >/dev/null
	@command -v qemu-arm >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq qemu-user; }
	@[ -x /usr/bin/etcd ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq etcd-server; }
	$(GO) mod download
	@command -v Xvfb >/dev/null && command -v xwd >/dev/null && pkg-config --exists x11 xkbcommon-x11 \
		x11-xcb xcursor xfixes egl glesv2 wayland-egl wayland-cursor vulkan 2>/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq xvfb x11-apps gcc pkg-config \
			libx11-dev libx11-xcb-dev libxkbcommon-x11-dev libxcursor-dev libxfixes-dev libegl-dev \
			libgles-dev libwayland-dev libvulkan-dev libegl-mesa0 libgl1-mesa-dri; }

# Pyro4 runs wherever Python does: everything must build (and vet) on the
# other systems too, and where int has 32 bits. The reactor (loop, combine,
# the multiplex type) needs Unix and says so at run time elsewhere.
CROSS := darwin/amd64 freebsd/amd64 windows/amd64 linux/386 linux/arm

crossbuild:
	@set -e; for t in $(CROSS); do \
		echo "GOOS=$${t%/*} GOARCH=$${t#*/}: go build ./... && go vet ./..."; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) build ./...; \
		GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet ./...; \
	done

# Pyro runs on 32-bit boards too (a Raspberry Pi's armhf): the tests of the
# packages that parse, size and serve run as 32-bit ARM under qemu's
# user-mode emulator, the engine suite with the thread type. Skipped: the
# tests that re-execute their own binary, which the emulator cannot, and
# (GYRO_TEST_EMULATED=1) those that start python: Debian 12's qemu-user can
# leave a child hung between fork and exec, and the native run covers them.
ARM32_PKGS := wire serial pyval dispatch config proxy gyrotls loop engine combine naming
test-arm32:
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; for p in $(ARM32_PKGS); do \
		GOOS=linux GOARCH=arm GOARM=7 $(GO) test -c -o "$$dir/$$p.test" ./$$p; \
		echo "qemu-arm $$p.test"; \
		(cd $$p && GYRO_TEST_SERVERTYPE=thread GYRO_TEST_EMULATED=1 qemu-arm "$$dir/$$p.test" -test.count=1 -test.timeout 10m \
			-test.skip '^(TestAcceptSurvivesFDExhaustion|TestAcknowledgedRegistrationsSurviveKill)$$'); \
	done

test: deps crossbuild
	GYRO_REQUIRE_PYRO4=1 $(GO) test -count=1 -timeout 12m ./...
	$(MAKE) test-arm32
	cd bench && $(GO) test -count=1 ./...
	cd examples/gui_eventloop && $(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./wire ./serial ./dispatch ./engine

# A short fuzzing pass over every parser: the frame parser, the
# decompressor, each decoder, the text scans under them (vectorized on
# amd64) and the dict-key rule they share, FUZZTIME
# each (default 30s), seeded from the golden files and the targets' own
# f.Add corpora.
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./wire
	$(GO) test -run '^$$' -fuzz '^FuzzParse5$$' -fuzztime $(FUZZTIME) ./wire
	$(GO) test -run '^$$' -fuzz '^FuzzDecompress$$' -fuzztime $(FUZZTIME) ./wire
	$(GO) test -run '^$$' -fuzz '^FuzzSerpentDecode$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzJSONDecode$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzMarshalDecode$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzMsgpackDecode$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzPickleDecode$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzBatchDecode$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzScans$$' -fuzztime $(FUZZTIME) ./serial
	$(GO) test -run '^$$' -fuzz '^FuzzKeyEqual$$' -fuzztime $(FUZZTIME) ./pyval

# Compare gyro's server types with Pyro4, Pyro5, net/rpc and raw echo
# servers (about 19 minutes; QUICK=1 for about 3). Report on stdout.
# Pyro5's daemon, the reference of the Pyro5 workloads, needs its fetch.
.PHONY: bench-compare
bench-compare:
	@scripts/pyro5-deps.sh >/dev/null
	cd bench && $(GO) run ./cmd/compare $(if $(QUICK),-quick)

# Regenerate bench/RESULTS.md's report section, bench/results.png and the
# benchmark summary in README.md (full run, about 20 minutes).
.PHONY: bench-results
bench-results:
	@scripts/pyro5-deps.sh >/dev/null
	cd bench && $(GO) run ./cmd/compare -out RESULTS.md -png results.png -readme ../README.md

# The etcd name server tests need Debian's etcd-server (make deps installs
# it); under make they fail rather than skip when it is missing.
export GYRO_REQUIRE_ETCD := 1

# Name server throughput: Pyro4's, gyro's on memory, bolt and etcd (one and
# three name servers on a three-member cluster), in one run (about 1-2 min).
.PHONY: bench-ns
bench-ns:
	cd bench && $(GO) run ./cmd/nsbench

# The hostile soak: every server type under valid, oneway, garbage,
# zlib-bomb, never-reading, silent, trickling and vanishing clients;
# SOAK_DURATION in all (default 60s). Exits 1 on a wrong answer or
# descriptors/goroutines not back to their baseline.
SOAK_DURATION ?= 60s
.PHONY: soak
soak:
	cd bench && $(GO) run ./cmd/soak -duration $(SOAK_DURATION)
