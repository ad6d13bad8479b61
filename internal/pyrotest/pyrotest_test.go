package pyrotest

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
)

func TestRequired(t *testing.T) {
	tests := []struct {
		ci, require string
		want        bool
	}{
		{"", "", false},
		{"true", "", true},
		{"false", "", false},
		{"", "1", true},
		{"", "0", false},
	}
	for _, tt := range tests {
		t.Setenv("CI", tt.ci)
		t.Setenv("GYRO_REQUIRE_PYRO4", tt.require)
		if got := required(); got != tt.want {
			t.Errorf("CI=%q GYRO_REQUIRE_PYRO4=%q: required() = %v, want %v", tt.ci, tt.require, got, tt.want)
		}
	}
}

// Under emulation no python process starts, even where CI requires Pyro4:
// the availability checks say no and the helpers skip.
func TestEmulatedSkipsPython(t *testing.T) {
	t.Setenv("CI", "true")
	t.Setenv(EmulatedEnv, "1")
	if Available() || Available5() {
		t.Errorf("Available() = %v, Available5() = %v under emulation, want false", Available(), Available5())
	}
	for name, use := range map[string]func(t *testing.T){
		"Python":        func(t *testing.T) { Python(t) },
		"Pyro5Env":      func(t *testing.T) { Pyro5Env(t) },
		"RequireModule": func(t *testing.T) { RequireModule(t, "msgpack") },
	} {
		t.Run(name, func(t *testing.T) {
			use(t) // skips, which ends this subtest here
			t.Errorf("%s returned under emulation instead of skipping", name)
		})
	}
}

func TestEnviron(t *testing.T) {
	t.Setenv("PYRO_SERIALIZER", "json")
	env := environ([]string{"PYRO_COMPRESSION=1"})
	var sawUnbuffered bool
	for _, kv := range env {
		if kv == "PYRO_SERIALIZER=json" {
			t.Errorf("inherited PYRO_SERIALIZER leaked into the child environment")
		}
		sawUnbuffered = sawUnbuffered || kv == "PYTHONUNBUFFERED=1"
	}
	if !sawUnbuffered {
		t.Errorf("PYTHONUNBUFFERED=1 missing")
	}
	if last := env[len(env)-1]; last != "PYRO_COMPRESSION=1" {
		t.Errorf("override not last: %q", last)
	}
}

func TestRun(t *testing.T) {
	out, err := Run(t, context.Background(),
		"import os, Pyro4\nprint(Pyro4.__version__, os.environ['PYRO_X'])", "PYRO_X=hello")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out, " hello\n") {
		t.Errorf("stdout = %q", out)
	}

	_, err = Run(t, context.Background(), "import sys\nsys.stderr.write('boom')\nsys.exit(3)")
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failing script: err = %v, want one that includes stderr", err)
	}
}

func TestRunContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(t, ctx, "print('never')"); err == nil {
		t.Errorf("Run with a cancelled context succeeded")
	}
}

// TestStartEchoServer starts Pyro4's echo server, parses its URI, talks to it
// with Pyro4's own proxy and shuts it down remotely.
func TestStartEchoServer(t *testing.T) {
	p := Start(t, []string{"-m", "Pyro4.test.echoserver", "-p", "0", "-v"}, regexp.MustCompile(`^echo uri: (PYRO:\S+)$`))
	uri, err := pyval.ParseURI(p.Match[1])
	if err != nil {
		t.Fatal(err)
	}
	if uri.Object != "test.echoserver" || uri.Host != "localhost" || uri.Port == 0 {
		t.Fatalf("unexpected uri %v", uri)
	}
	if !strings.Contains(p.Stdout(), "Starting Pyro's built-in test echo server.") {
		t.Errorf("stdout so far lacks the banner: %q", p.Stdout())
	}
	script := "import Pyro4\np = Pyro4.Proxy('" + uri.String() + "')\nprint(p.echo('hi'))\np.shutdown()"
	out, err := Run(t, context.Background(), script)
	if err != nil {
		t.Fatal(err)
	}
	if out != "hi\n" {
		t.Errorf("echo printed %q", out)
	}
	p.WaitLine(t, regexp.MustCompile(`echo: 'hi'$`), 10*time.Second)
	if err := p.Wait(10 * time.Second); err != nil {
		t.Errorf("echo server exit: %v", err)
	}
}

func TestStartExitBeforeReady(t *testing.T) {
	// Start fails the test when the process exits first; check through the
	// unexported wait, which Start uses, so this test itself can pass.
	Python(t)
	p := &Process{changed: make(chan struct{}), done: make(chan struct{})}
	p.lines = []string{"not it"}
	close(p.done)
	if _, err := p.waitLine(regexp.MustCompile("ready"), time.Second); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("waitLine on an exited process: %v", err)
	}
}
