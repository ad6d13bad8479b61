package main

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/naming"
)

// startServer runs `thing server args...` in-process and returns the first
// output line that starts with want, then keeps draining the output.
func startServer(t *testing.T, ctx context.Context, args []string, want string) string {
	t.Helper()
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"server"}, args...), w); w.Close() }()
	t.Cleanup(func() {
		if err := <-done; err != nil && ctx.Err() == nil {
			t.Errorf("server: %v", err)
		}
	})
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, want) {
			go io.Copy(io.Discard, r)
			return strings.TrimSpace(strings.TrimPrefix(line, want))
		}
	}
	t.Fatalf("server ended before printing %q", want)
	return ""
}

func callBoth(t *testing.T, ctx context.Context, uri string) {
	t.Helper()
	var out strings.Builder
	if err := run(ctx, []string{"client", uri}, &out); err != nil || out.String() != "84\n" {
		t.Fatalf("Go client on %s: %q, %v", uri, out.String(), err)
	}
	py, err := pyrotest.Run(t, ctx, `import Pyro4; print(Pyro4.Proxy("`+uri+`").method(42))`,
		"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+envPort, "PYRO_BROADCAST_ADDRS=127.0.0.1")
	if err != nil || py != "84\n" {
		t.Fatalf("Pyro4 client on %s: %q, %v", uri, py, err)
	}
}

var envPort = "9" // replaced by the name server test's port

func TestExample1WithoutNameServer(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HOST", "127.0.0.1")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel() // stops the server before its Cleanup waits for it
	uri := startServer(t, ctx, nil, "uri =")
	callBoth(t, ctx, uri)
}

func TestExample2WithNameServer(t *testing.T) {
	pyrotest.Python(t)
	ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1", NoBroadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	go ns.Serve(context.Background())
	envPort = strconv.Itoa(ns.URI.Port)
	t.Setenv("PYRO_HOST", "127.0.0.1")
	t.Setenv("PYRO_NS_HOST", "127.0.0.1")
	t.Setenv("PYRO_NS_PORT", envPort)
	t.Setenv("PYRO_BROADCAST_ADDRS", "127.0.0.1")
	for _, variant := range [][]string{{"-ns"}, {"-ns", "-simple"}} {
		t.Run(strings.Join(variant, " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			want := "registered as mythingy"
			if len(variant) == 2 {
				want = "Pyro daemon running."
			}
			startServer(t, ctx, variant, want)
			callBoth(t, ctx, "PYRONAME:mythingy")
			cancel()
		})
	}
}
