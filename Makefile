# gyro: the two commands a newcomer needs.
#   make run    serve Pyro4's test echo object on embedded defaults
#   make test   install what the tests need (the real Pyro4), then run them
SHELL := /bin/bash
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
GO ?= go

.PHONY: run test deps crossbuild bench fuzz

run:
	$(GO) run ./cmd/gyro echoserver

# The interop tests drive the real Pyro4 4.82 from Debian (system python3).
deps:
	@/usr/bin/python3 -c 'import Pyro4' 2>/dev/null && [ -d /usr/share/doc/pyro4/examples ] || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-pyro4 pyro4-examples; }
	$(GO) mod download
	@command -v Xvfb >/dev/null && command -v xwd >/dev/null && pkg-config --exists x11 xkbcommon-x11 \
		x11-xcb xcursor xfixes egl glesv2 wayland-egl wayland-cursor vulkan 2>/dev/null || { \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq xvfb x11-apps gcc pkg-config \
			libx11-dev libx11-xcb-dev libxkbcommon-x11-dev libxcursor-dev libxfixes-dev libegl-dev \
			libgles-dev libwayland-dev libvulkan-dev libegl-mesa0 libgl1-mesa-dri; }

# Pyro4 runs wherever Python does: everything must build (and vet) on the
# other systems too. The reactor (loop, combine, the multiplex type) needs
# Unix and says so at run time elsewhere.
CROSS_GOOS := darwin freebsd windows

crossbuild:
	@set -e; for os in $(CROSS_GOOS); do \
		echo "GOOS=$$os: go build ./... && go vet ./..."; \
		GOOS=$$os $(GO) build ./...; \
		GOOS=$$os $(GO) vet ./...; \
	done

test: deps crossbuild
	GYRO_REQUIRE_PYRO4=1 $(GO) test -count=1 -timeout 12m ./...
	cd examples/gui_eventloop && $(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./wire ./serial ./dispatch ./engine

# A short fuzzing pass over every parser (each target 30 s).
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime 30s ./wire
	$(GO) test -run '^$$' -fuzz FuzzSerpentDecode -fuzztime 30s ./serial
	$(GO) test -run '^$$' -fuzz FuzzJSONDecode -fuzztime 30s ./serial
	$(GO) test -run '^$$' -fuzz FuzzMarshalDecode -fuzztime 30s ./serial

# Compare gyro's server types with Pyro4, net/rpc and raw echo servers
# (about 3-4 minutes; QUICK=1 for under a minute). Report on stdout.
.PHONY: bench-compare
bench-compare:
	$(GO) run ./bench/cmd/compare $(if $(QUICK),-quick)

# Regenerate bench/RESULTS.md's report section and bench/results.png (full run).
.PHONY: bench-results
bench-results:
	$(GO) run ./bench/cmd/compare -out bench/RESULTS.md -png bench/results.png
