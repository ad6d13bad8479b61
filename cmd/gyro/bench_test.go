package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// TestBenchServeWithPyro4Client runs Pyro4's unchanged benchmark client
// (13,000 calls over marshal, oneway included) against `gyro bench serve`
// on every server type.
func TestBenchServeWithPyro4Client(t *testing.T) {
	const client = "/usr/share/doc/pyro4/examples/benchmark/client.py"
	pyrotest.Python(t)
	for _, st := range []string{"thread", "multiplex", "multicore"} {
		t.Run(st, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			outR, outW := io.Pipe()
			exit := make(chan int, 1)
			go func() {
				exit <- runContext(ctx, []string{"bench", "serve", "-H", "127.0.0.1", "-t", st}, nil, outW, io.Discard)
				outW.Close()
			}()
			uriRe := regexp.MustCompile(`uri = (PYRO:example\.benchmark@127\.0\.0\.1:\d+)`)
			var uri string
			sc := bufio.NewScanner(outR)
			for uri == "" && sc.Scan() {
				if m := uriRe.FindStringSubmatch(sc.Text()); m != nil {
					uri = m[1]
				}
			}
			go io.Copy(io.Discard, outR)
			if uri == "" {
				t.Fatal("bench serve printed no uri")
			}
			out, err := pyrotest.RunScript(t, ctx, client, nil, uri+"\n")
			if err != nil {
				t.Fatalf("benchmark client: %v\n%s", err, out)
			}
			if !strings.Contains(out, "total method calls: 12000") || !strings.Contains(out, "serializer: marshal") {
				t.Fatalf("benchmark client output:\n%s", out)
			}
			cancel()
			if code := <-exit; code != 0 {
				t.Fatalf("exit code %d", code)
			}
		})
	}
}
