package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// TestEchoServerWithPyro4AndPyro5Clients runs `gyro echoserver` in-process
// on each server type (-t; multiplex by default, as pyro4-test-echoserver
// forces it), checks its start-up lines against pyro4-test-echoserver's,
// drives it with the real Pyro5 and Pyro4 clients on the same port and
// stops it with a remote shutdown().
func TestEchoServerWithPyro4AndPyro5Clients(t *testing.T) {
	pyrotest.Python(t)
	env5 := pyrotest.Pyro5Env(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	for _, tc := range []struct{ flag, want string }{
		{"", "multiplex"}, {"thread", "thread"}, {"multiplex", "multiplex"}, {"multicore", "multicore"},
	} {
		t.Run("type="+tc.want+"/flag="+tc.flag, func(t *testing.T) {
			args := []string{"echoserver", "-H", "127.0.0.1", "-p", "0", "-v"}
			if tc.flag != "" {
				args = append(args, "-t", tc.flag)
			}
			echoServerWithClients(t, args, tc.want, env5)
		})
	}
}

func echoServerWithClients(t *testing.T, args []string, serverType string, env5 []string) {
	outR, outW := io.Pipe()
	var stderr strings.Builder
	exit := make(chan int, 1)
	go func() {
		code := run(args, outW, &stderr)
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
import Pyro4, Pyro5.api
p5 = Pyro5.api.Proxy("`+uri+`")
assert p5.echo({1, 2}) == {1, 2}
try:
    p5.error()
except ValueError as e:
    print("pyro5 error:", e)
p = Pyro4.Proxy("`+uri+`")
info = Pyro4.Proxy(p._pyroUri.asString().replace("test.echoserver", "Pyro.Daemon")).info()
assert "<gyro `+serverType+` server" in info, info
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
`, env5...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\nerror: expected error from echoserver error() method") || !strings.Contains(out, "done") ||
		!strings.Contains(out, "pyro5 error: this is the generated error from echoserver echo() method") {
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
	if code := run([]string{"echoserver", "-x"}, &out, &errOut); code != 2 {
		t.Errorf("unknown option: code %d", code)
	}
	for _, cmd := range []string{"ns", "nsc"} {
		if !strings.Contains(errOut.String(), cmd) {
			t.Errorf("usage does not mention %s", cmd)
		}
	}
}

// TestEchoServerNameServer runs `gyro echoserver -N -v`: it starts a name
// server of its own, registers test.echoserver there and prints Pyro4's
// lines about it; a Pyro4 client then finds the echo server through that
// name server by PYRONAME and shuts it down.
func TestEchoServerNameServer(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	t.Setenv("PYRO_NS_PORT", "0") // NS_PORT 0: a free port, reported in the output
	s := startGyro(t, "echoserver", "-H", "127.0.0.1", "-N", "-v")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Starting Pyro's built-in test echo server\.$`),
		regexp.MustCompile(`^Warning: HMAC key not set\. Anyone can connect to this server!$`),
		regexp.MustCompile(`^using name server at PYRO:Pyro\.NameServer@127\.0\.0\.1:(\d+)$`),
		regexp.MustCompile(`^not using a broadcast server$`),
		regexp.MustCompile(`^object name: test\.echoserver$`),
		regexp.MustCompile(`^echo uri: PYRO:test\.echoserver@127\.0\.0\.1:\d+$`),
		regexp.MustCompile(`^echoserver running\.$`),
	}
	var nsPort string
	for _, re := range want {
		l := s.next(t)
		m := re.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("line %q, want %s", l, re)
		}
		if len(m) > 1 {
			nsPort = m[1]
		}
	}
	out, err := pyrotest.Run(t, context.Background(), `
import Pyro4
p = Pyro4.Proxy("PYRONAME:test.echoserver")
assert p.echo("via ns") == "via ns"
print(Pyro4.locateNS().lookup("test.echoserver"))
p.shutdown()
`, "PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+nsPort)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "PYRO:test.echoserver@127.0.0.1:") {
		t.Errorf("client output %q", out)
	}
	select {
	case code := <-s.code:
		s.code <- code
		if code != 0 {
			t.Fatalf("exit code %d; stderr: %s", code, s.stderr)
		}
	case <-time.After(testTimeout):
		t.Fatal("echoserver kept running after shutdown()")
	}
}

// TestEchoServerNaming runs `gyro echoserver -n` against a gyro name
// server found through NS_HOST/NS_PORT, and stops it by its context.
func TestEchoServerNaming(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	_, _, port := startGyroNS(t, "-n", "127.0.0.1", "-p", "0")
	t.Setenv("PYRO_NS_HOST", "127.0.0.1")
	t.Setenv("PYRO_NS_PORT", port)
	s := startGyro(t, "echoserver", "-H", "127.0.0.1", "-n", "-v")
	lines := s.until(t, regexp.MustCompile(`^echoserver running\.$`))
	if !slices.Contains(lines, "using name server at PYRO:Pyro.NameServer@127.0.0.1:"+port) || slices.Contains(lines, "not using a broadcast server") {
		t.Errorf("lines %q", lines)
	}
	out, _, _ := runNSC(t, "", "-n", "127.0.0.1", "-p", port, "list", "test.")
	uri := strings.TrimPrefix(lines[len(lines)-2], "echo uri: ")
	want := "--------START LIST - prefix 'test.'\ntest.echoserver --> " + uri + "\n--------END LIST - prefix 'test.'\n"
	if out != want {
		t.Errorf("nsc list: %q, want %q", out, want)
	}
	if _, code := s.stop(t); code != 0 {
		t.Errorf("exit code %d; stderr: %s", code, s.stderr)
	}
}
