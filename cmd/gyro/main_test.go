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

// TestEchoServerWithPyro4Client runs `gyro echoserver` in-process, checks
// its start-up lines against pyro4-test-echoserver's, drives it with the
// real Pyro4 client and stops it with a remote shutdown().
func TestEchoServerWithPyro4Client(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	outR, outW := io.Pipe()
	var stderr strings.Builder
	exit := make(chan int, 1)
	go func() {
		code := run([]string{"echoserver", "-H", "127.0.0.1", "-p", "0", "-v"}, outW, &stderr)
		outW.Close()
		exit <- code
	}()
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Starting Pyro's built-in test echo server\.$`),
		regexp.MustCompile(`^Warning: HMAC key not set\. Anyone can connect to this server!$`),
		regexp.MustCompile(`^not using a name server\.$`),
		regexp.MustCompile(`^object name: test\.echoserver$`),
		regexp.MustCompile(`^echo uri: (PYRO:test\.echoserver@127\.0\.0\.1:\d+)$`),
		regexp.MustCompile(`^echoserver running\.$`),
	}
	sc := bufio.NewScanner(outR)
	var uri string
	for _, re := range want {
		if !sc.Scan() {
			t.Fatalf("output ended before %s; stderr: %s", re, stderr.String())
		}
		m := re.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("line %q, want %s", sc.Text(), re)
		}
		if len(m) > 1 {
			uri = m[1]
		}
	}
	go io.Copy(io.Discard, outR) // verbose lines from here on
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, `
import Pyro4
p = Pyro4.Proxy("`+uri+`")
assert p.echo("hi") == "hi"
assert p.verbose is True
p.verbose = False
assert p.verbose is False
try:
    p.error()
except ValueError as e:
    print("error:", e)
p.shutdown()
print("done")
`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "error: expected error from echoserver error() method") || !strings.Contains(out, "done") {
		t.Fatalf("client output %q", out)
	}
	select {
	case code := <-exit:
		if code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, stderr.String())
		}
	case <-ctx.Done():
		t.Fatal("echoserver kept running after shutdown()")
	}
}

func TestUsage(t *testing.T) {
	var out, errOut strings.Builder
	if code := run(nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "echoserver") {
		t.Errorf("no args: code %d, %q", code, errOut.String())
	}
	if code := run([]string{"bogus"}, &out, &errOut); code != 2 {
		t.Errorf("unknown command: code %d", code)
	}
	if code := run([]string{"echoserver", "-n"}, &out, &errOut); code != 1 {
		t.Errorf("-n without a name server: code %d", code)
	}
}
