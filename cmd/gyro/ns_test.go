package main

import (
	"bufio"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/naming"
)

// testTimeout bounds every wait in these tests.
const testTimeout = 30 * time.Second

// gyroServer is a `gyro ns` or `gyro echoserver` running in-process.
type gyroServer struct {
	lines  chan string // stdout, line by line, closed at exit
	code   chan int
	cancel context.CancelFunc
	stderr *syncBuilder
}

// startGyro runs `gyro args...` on a goroutine with a cancellable context;
// the test's cleanup stops it.
func startGyro(t *testing.T, args ...string) *gyroServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	s := &gyroServer{lines: make(chan string, 100), code: make(chan int, 1), cancel: cancel, stderr: &syncBuilder{}}
	go func() {
		code := runContext(ctx, args, nil, outW, s.stderr)
		outW.Close()
		s.code <- code
	}()
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		io.Copy(io.Discard, outR)
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// next returns the next stdout line, failing the test when there is none.
func (s *gyroServer) next(t *testing.T) string {
	t.Helper()
	select {
	case l, ok := <-s.lines:
		if !ok {
			t.Fatalf("output ended; stderr: %s", s.stderr)
		}
		return l
	case <-time.After(testTimeout):
		t.Fatalf("no output line within %v", testTimeout)
	}
	return ""
}

// until returns the lines up to and including the first that matches re.
func (s *gyroServer) until(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	var lines []string
	for {
		l := s.next(t)
		lines = append(lines, l)
		if re.MatchString(l) {
			return lines
		}
	}
}

// stop cancels the server's context and returns its remaining output and
// exit code.
func (s *gyroServer) stop(t *testing.T) (rest []string, code int) {
	t.Helper()
	s.cancel()
	for l := range s.lines {
		rest = append(rest, l)
	}
	select {
	case code = <-s.code:
		s.code <- code
	case <-time.After(testTimeout):
		t.Fatal("server did not stop")
	}
	return rest, code
}

var nsURILine = regexp.MustCompile(`^(?:external )?URI = (PYRO:Pyro\.NameServer@(?:\./u:\S+|[^:\s]+:(\d+)))$`)

// startGyroNS runs `gyro ns args...` and returns it, its start-up lines and
// the port from its URI line.
func startGyroNS(t *testing.T, args ...string) (s *gyroServer, lines []string, port string) {
	t.Helper()
	s = startGyro(t, append([]string{"ns"}, args...)...)
	lines = s.until(t, nsURILine)
	return s, lines, nsURILine.FindStringSubmatch(lines[len(lines)-1])[2]
}

// startPyroNS runs Pyro4's own name server (pyro4-ns) with args.
func startPyroNS(t *testing.T, args []string, env ...string) (p *pyrotest.Process, port string) {
	t.Helper()
	p = pyrotest.Start(t, append([]string{"-m", "Pyro4.naming"}, args...), nsURILine, env...)
	return p, p.Match[2]
}

var portRE = regexp.MustCompile(`:\d+\b`)

// TestNSOutputMatchesPyro4 starts `gyro ns` and pyro4-ns with the same
// options and compares what they print, ports aside; it then stops gyro's
// with its context and checks the last line and the exit code.
func TestNSOutputMatchesPyro4(t *testing.T) {
	pyrotest.Python(t)
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		key  string
	}{
		{"plain", []string{"-n", "127.0.0.1", "-p", "0"}, ""},
		{"long options", []string{"--host", "127.0.0.1", "--port", "0", "--nobc", "--storage", "memory"}, ""},
		{"hmac key", []string{"-n", "127.0.0.1", "-p", "0", "-x"}, "secret"},
		{"nat", []string{"-n", "127.0.0.1", "-p", "0", "--nathost", "nat.example.org", "--natport", "4321"}, ""},
		{"unix socket", []string{"-u", filepath.Join(dir, "ns.sock")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYRO_HMAC_KEY", tt.key)
			s, got, _ := startGyroNS(t, tt.args...)
			gyroLines := strings.Join(got, "\n")
			rest, code := s.stop(t)
			if code != 0 || len(rest) != 1 || rest[0] != "NS shut down." {
				t.Fatalf("after stop: %q, exit code %d; stderr: %s", rest, code, s.stderr)
			}
			p, _ := startPyroNS(t, tt.args, "PYRO_HMAC_KEY="+tt.key)
			want := strings.TrimSpace(p.Stdout())
			if g, w := portRE.ReplaceAllString(gyroLines, ":PORT"), portRE.ReplaceAllString(want, ":PORT"); g != w {
				t.Errorf("gyro ns printed\n%s\npyro4-ns printed\n%s", gyroLines, want)
			}
		})
	}
}

// TestNSDefaults runs `gyro ns` without options: the address comes from
// Pyro4's config (HOST, NS_PORT), here from the environment.
func TestNSDefaults(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	t.Setenv("PYRO_HOST", "127.0.0.1")
	t.Setenv("PYRO_NS_PORT", "0")
	_, lines, port := startGyroNS(t)
	want := []string{
		"Not starting broadcast server for localhost.",
		"NS running on 127.0.0.1:" + port + " (127.0.0.1)",
		"Warning: HMAC key not set. Anyone can connect to this server!",
		"URI = PYRO:Pyro.NameServer@127.0.0.1:" + port,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", lines, want)
	}
}

// TestNSPersistent checks -s bolt: a store with an earlier registration
// is reported as pyro4-ns reports it, and the registration is served.
func TestNSPersistent(t *testing.T) {
	t.Setenv("PYRO_HMAC_KEY", "")
	file := filepath.Join(t.TempDir(), "ns.db")
	st, err := naming.OpenStorage("bolt:" + file)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(context.Background(), naming.Registration{Name: "kept", URI: "PYRO:kept@localhost:1"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	s, lines, port := startGyroNS(t, "-n", "127.0.0.1", "-p", "0", "-s", "bolt:"+file)
	if !contains(lines, "Persistent store contains 2 existing registrations.") {
		t.Errorf("start-up lines %q", lines)
	}
	out, _, code := runNSC(t, "", "-n", "127.0.0.1", "-p", port, "lookup", "kept")
	if code != 0 || out != "PYRO:kept@localhost:1\n" {
		t.Errorf("lookup kept: %q, code %d", out, code)
	}
	s.stop(t)
}

func TestNSBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		key  string
		code int
		err  string
	}{
		{"bad storage", []string{"-n", "127.0.0.1", "-p", "0", "-s", "sql:x.db"}, "", 1, "bolt:"},
		{"bad port", []string{"-p", "x"}, "", 2, "invalid"},
		{"stray argument", []string{"-p", "0", "extra"}, "", 2, "unexpected argument"},
		{"key twice", []string{"-k", "a"}, "b", 1, "don't use -k and PYRO_HMAC_KEY at the same time"},
		{"help", []string{"-h"}, "", 0, "-bcport"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYRO_HMAC_KEY", tt.key)
			var out, errOut strings.Builder
			code := runContext(context.Background(), append([]string{"ns"}, tt.args...), nil, &out, &errOut)
			if code != tt.code || !strings.Contains(errOut.String(), tt.err) {
				t.Errorf("code %d, stderr %q; want %d and %q", code, errOut.String(), tt.code, tt.err)
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
