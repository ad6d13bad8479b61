package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"

	"github.com/gyro-rpc/gyro/monitor"
)

// httpFlag adds --http, the monitoring address (off when empty).
func httpFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "http", "", "serve /metrics, /healthz, /varz and /connz on this address (host:port, :port = 127.0.0.1; off by default)")
}

// newMonitor makes the monitor of a command run with --http; nil without.
func newMonitor(addr, serverType string, log *slog.Logger) (*monitor.Monitor, error) {
	if addr == "" {
		return nil, nil
	}
	return monitor.New(monitor.Options{Version: version(), ServerType: serverType, Logger: log})
}

// listenMonitor starts serving mon on addr and says where.
func listenMonitor(ctx context.Context, mon *monitor.Monitor, addr string, out io.Writer) error {
	a, err := mon.Listen(ctx, addr)
	if err != nil {
		return fmt.Errorf("monitoring: %w", err)
	}
	fmt.Fprintf(out, "monitoring on http://%s\n", a)
	return nil
}

// version is the gyro module's version as built ("(devel)" from a checkout).
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Version
	}
	return "unknown"
}
