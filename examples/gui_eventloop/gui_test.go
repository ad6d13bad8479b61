package guieventloop_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	python = "/usr/bin/python3"
	// Pyro4's own client, run unchanged: it reads the URI from stdin.
	clientPy = "/usr/share/doc/pyro4/examples/gui_eventloop/client.py"
	// A second client that sends one message while client.py's sleep(5)
	// call is running.
	duringSleepPy = "import sys, Pyro4; Pyro4.Proxy(sys.argv[1]).message('while sleeping')"

	// testTimeout bounds each program's whole run; client.py alone takes
	// about 8 s (it sleeps 2.5 s and calls sleep(5)).
	testTimeout = 90 * time.Second
)

// requireTools skips the test when what it drives is missing, except on CI
// where the Makefile's deps target installs it.
func requireTools(t *testing.T) {
	var missing []string
	for _, tool := range []struct{ cmd, pkg string }{{"Xvfb", "xvfb"}, {"xwd", "x11-apps"}} {
		if _, err := exec.LookPath(tool.cmd); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", tool.cmd, tool.pkg))
		}
	}
	if err := exec.Command(python, "-c", "import Pyro4").Run(); err != nil {
		missing = append(missing, python+" with Pyro4 (Debian package python3-pyro4)")
	}
	if _, err := os.Stat(clientPy); err != nil {
		missing = append(missing, clientPy+" (Debian package pyro4-examples)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "missing " + strings.Join(missing, ", ") + "; `make deps` installs them"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func TestGUIEventLoop(t *testing.T) {
	requireTools(t)
	bin := t.TempDir()
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gocmd, "build", "-o", bin, "./nothreads", "./threads").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	outDir := filepath.Join("testdata", "out")
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		prog, started string
		// the order of the last two lines tells whether the slow call
		// froze the GUI: the other client's message waits for it, or not
		last []string
	}{
		{"nothreads", "Pyro server started. Not using threads.",
			[]string{"from Pyro: woke up!", "from Pyro: while sleeping"}},
		{"threads", "Pyro server started. Using Pyro worker thread.",
			[]string{"from Pyro: while sleeping", "from Pyro: woke up!"}},
	} {
		t.Run(tc.prog, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			display := startXvfb(ctx, t)
			p := startProgram(ctx, t, filepath.Join(bin, tc.prog), display)

			uri := p.waitURI(t)
			client := exec.CommandContext(ctx, python, clientPy)
			client.Stdin = strings.NewReader(uri + "\n")
			var clientOut bytes.Buffer
			client.Stdout, client.Stderr = &clientOut, &clientOut
			if err := client.Start(); err != nil {
				t.Fatal(err)
			}
			p.waitShown(t, "from Pyro: sleeping 5 seconds...")
			// Runs to the end: it returns when the daemon answered, which
			// for nothreads is after the sleep.
			if out, err := exec.CommandContext(ctx, python, "-c", duringSleepPy, uri).CombinedOutput(); err != nil {
				t.Fatalf("second client: %v\n%s", err, out)
			}
			if err := client.Wait(); err != nil {
				t.Fatalf("client.py: %v\n%s", err, clientOut.String())
			}
			if !strings.Contains(clientOut.String(), "done!") {
				t.Fatalf("client.py did not finish:\n%s", clientOut.String())
			}
			p.waitShown(t, tc.last...)

			want := []string{tc.started, "Use the command line client to send messages.", "Pyro object uri = " + uri,
				"from Pyro: Hello there!", "from Pyro: How's it going?"}
			for i := range 20 {
				want = append(want, fmt.Sprintf("from Pyro: Counting %d", i))
			}
			want = append(want, "from Pyro: now calling the sleep method with 5 seconds",
				"from Pyro: sleeping 5 seconds...")
			want = append(want, tc.last...)
			if !slices.Equal(p.shown, want) {
				t.Errorf("window lines:\n%s\nwant:\n%s", strings.Join(p.shown, "\n"), strings.Join(want, "\n"))
			}

			screenshot(ctx, t, display, filepath.Join(outDir, tc.prog+".png"))
		})
	}
}

// startXvfb starts an X server on a free display, which Xvfb picks and
// reports through -displayfd once it accepts clients.
func startXvfb(ctx context.Context, t *testing.T) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, "Xvfb", "-displayfd", "3", "-screen", "0", "800x600x24", "-br", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	stopGently(cmd)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Start()
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Wait() }) // after ctx's end stopped it
	// the read ends when Xvfb writes the number, or exits
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not start: %v\n%s", err, stderr.String())
	}
	return ":" + strings.TrimSpace(line)
}

// program is a running example program and the lines it printed.
type program struct {
	ctx    context.Context
	lines  chan string // every stdout line; closed at EOF
	stderr *bytes.Buffer
	shown  []string // messages the window showed, without timestamps
}

func startProgram(ctx context.Context, t *testing.T, path, display string) *program {
	cmd := exec.CommandContext(ctx, path, "-echo")
	stopGently(cmd)
	var env []string
	for _, kv := range os.Environ() {
		// X11 only, even when the test runs inside a Wayland session
		if !strings.HasPrefix(kv, "WAYLAND_DISPLAY=") && !strings.HasPrefix(kv, "DISPLAY=") &&
			!strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "DISPLAY="+display, "XDG_RUNTIME_DIR="+t.TempDir())
	p := &program{ctx: ctx, lines: make(chan string, 1000), stderr: new(bytes.Buffer)}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
	}()
	t.Cleanup(func() { // after ctx's end stopped it
		cmd.Wait()
		<-done
	})
	return p
}

// stopGently makes the end of cmd's context send SIGTERM, so that Xvfb
// removes its lock file and socket, and SIGKILL only if that did not work.
func stopGently(cmd *exec.Cmd) {
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
}

var (
	uriLine   = regexp.MustCompile(`^Pyro object uri = (PYRO:\S+)$`)
	shownLine = regexp.MustCompile(`^\[\d\d:\d\d:\d\d\] (.*)$`)
)

// next returns the program's next stdout line, recording shown messages.
func (p *program) next(t *testing.T, waitingFor string) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("program exited while waiting for %q\nstderr:\n%s", waitingFor, p.stderr.String())
		}
		if m := shownLine.FindStringSubmatch(l); m != nil {
			p.shown = append(p.shown, m[1])
		}
		return l
	case <-p.ctx.Done():
		t.Fatalf("timed out waiting for %q; window lines so far:\n%s", waitingFor, strings.Join(p.shown, "\n"))
	}
	return ""
}

// waitURI returns the URI printed the way Pyro4's example prints it.
func (p *program) waitURI(t *testing.T) string {
	t.Helper()
	for {
		if m := uriLine.FindStringSubmatch(p.next(t, "the URI")); m != nil {
			return m[1]
		}
	}
}

// waitShown reads until the window showed every one of msgs, in any order.
func (p *program) waitShown(t *testing.T, msgs ...string) {
	t.Helper()
	pending := slices.Clone(msgs)
	for len(pending) > 0 {
		m := shownLine.FindStringSubmatch(p.next(t, strings.Join(pending, `" and "`)))
		if m == nil {
			continue
		}
		if i := slices.Index(pending, m[1]); i >= 0 {
			pending = slices.Delete(pending, i, i+1)
		}
	}
}

// screenshot saves the program's window as a PNG and checks it is not blank.
func screenshot(ctx context.Context, t *testing.T, display, path string) {
	t.Helper()
	raw, err := exec.CommandContext(ctx, "xwd", "-root", "-silent", "-display", display).Output()
	if err != nil {
		t.Fatalf("xwd: %v", err)
	}
	img, err := decodeXWD(raw)
	if err != nil {
		t.Fatal(err)
	}
	win := cropNonBlack(img)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, win); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%dx%d)", path, win.Rect.Dx(), win.Rect.Dy())
	if win.Rect.Dx() < 100 || win.Rect.Dy() < 100 {
		t.Errorf("screenshot: the window covers %v of the screen, want at least 100x100", win.Rect)
	}
	if sd := lumaStdDev(win); sd < 10 {
		t.Errorf("screenshot: window looks blank (brightness std dev %.1f)", sd)
	}
}
