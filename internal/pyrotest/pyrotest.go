package pyrotest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Interpreter is the only python that has Pyro4: the Debian package installs
// it into the system python3's dist-packages.
const Interpreter = "/usr/bin/python3"

// Bounds that keep every interop test finite.
const (
	// DefaultRunTimeout bounds Run when its context has no deadline.
	DefaultRunTimeout = 60 * time.Second
	// ReadyTimeout bounds Start's wait for the ready line.
	ReadyTimeout = 30 * time.Second
	// stopTimeout bounds the wait for a killed process to be reaped.
	stopTimeout = 10 * time.Second
)

const skipMessage = "real Pyro4 not installed: apt-get install -y python3-pyro4 (make test installs it)"

var (
	checkOnce sync.Once
	checkErr  error
)

// Python returns the interpreter that can import Pyro4. When Pyro4 is
// missing it skips the test, except under CI=true or GYRO_REQUIRE_PYRO4=1,
// where it fails the test: CI must never pass by skipping interop. Under
// emulation (see Emulated) it skips the test.
func Python(t testing.TB) string {
	t.Helper()
	skipEmulated(t)
	checkOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, Interpreter, "-c", "import Pyro4").CombinedOutput()
		if err != nil {
			checkErr = fmt.Errorf("%s -c 'import Pyro4': %v: %s", Interpreter, err, bytes.TrimSpace(out))
		}
	})
	if checkErr != nil {
		if required() {
			t.Fatalf("%s (required because CI=true or GYRO_REQUIRE_PYRO4=1): %v", skipMessage, checkErr)
		}
		t.Skip(skipMessage)
	}
	return Interpreter
}

// EmulatedEnv names the variable that says the tests run under an
// emulator whose process starts cannot be trusted: qemu-user 7.2 (Debian
// 12's, which make test-arm32 uses) can leave a child hung between fork and
// exec, and the test binary with it (golang/go#68976). There the tests that
// need a python process skip, and the native run covers interop.
const EmulatedEnv = "GYRO_TEST_EMULATED"

// Emulated reports whether EmulatedEnv is set to 1.
func Emulated() bool { return os.Getenv(EmulatedEnv) == "1" }

func skipEmulated(t testing.TB) {
	t.Helper()
	if Emulated() {
		t.Skip("no python processes under emulation (" + EmulatedEnv + "=1): its process starts can hang")
	}
}

// required reports whether a missing Pyro4 is a failure rather than a skip.
func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("GYRO_REQUIRE_PYRO4") == "1"
}

// environ returns the environment for a python child: ours without inherited
// PYRO_* settings (a developer's PYRO_SERIALIZER must not change what a test
// checks), unbuffered output so ready lines arrive at once, then env.
func environ(env []string) []string {
	base := os.Environ()
	out := make([]string, 0, len(base)+1+len(env))
	for _, kv := range base {
		if !strings.HasPrefix(kv, "PYRO_") && !strings.HasPrefix(kv, "PYTHONUNBUFFERED=") {
			out = append(out, kv)
		}
	}
	out = append(out, "PYTHONUNBUFFERED=1")
	return append(out, env...)
}

// Run runs a python script given as source and returns what it printed on
// stdout. env holds extra "KEY=value" entries (PYRO_* config, say);
// PYRO_* variables inherited from the caller are dropped, so a developer's
// own Pyro4 config cannot change what a test checks. The run is bounded by
// ctx, or by DefaultRunTimeout when ctx has no deadline. A failing script
// returns an error that includes its stderr.
func Run(t testing.TB, ctx context.Context, script string, env ...string) (stdout string, err error) {
	t.Helper()
	return run(t, ctx, []string{"-c", script}, "", env)
}

// RunScript runs the python file at path with args, feeding it stdin (for
// Pyro4's example clients, which ask for input), bounded like Run.
func RunScript(t testing.TB, ctx context.Context, path string, args []string, stdin string, env ...string) (stdout string, err error) {
	t.Helper()
	return run(t, ctx, append([]string{path}, args...), stdin, env)
}

func run(t testing.TB, ctx context.Context, args []string, stdin string, env []string) (string, error) {
	t.Helper()
	py := Python(t)
	if ctx == nil {
		ctx = context.Background()
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultRunTimeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Env = environ(env)
	cmd.WaitDelay = stopTimeout
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
		return out.String(), fmt.Errorf("pyrotest: python script: %w\nstderr:\n%s", err, errOut.String())
	}
	return out.String(), nil
}

// Process is a python process started by Start. It is killed and reaped
// when the test that started it ends.
type Process struct {
	Cmd *exec.Cmd
	// Match holds the submatches of the ready line: Match[0] is the line's
	// matching text, Match[1] the first group (the URI, typically).
	Match []string

	mu      sync.Mutex
	lines   []string      // stdout lines seen so far
	next    int           // WaitLine searches lines from here
	changed chan struct{} // closed and replaced whenever lines grows or the process exits
	stderr  syncBuffer

	done    chan struct{} // closed once the process has been reaped
	waitErr error
}

// Start starts python with args (e.g. "-m", "Pyro4.test.echoserver", "-p",
// "0") and waits, at most ReadyTimeout, for a stdout line matching ready;
// env is as for Run. It fails the test if the process exits or stays silent
// instead. The process is killed and reaped in t.Cleanup, so nothing
// outlives the test.
func Start(t testing.TB, args []string, ready *regexp.Regexp, env ...string) *Process {
	t.Helper()
	py := Python(t)
	cmd := exec.Command(py, args...)
	cmd.Env = environ(env)
	cmd.WaitDelay = stopTimeout
	p := &Process{Cmd: cmd, changed: make(chan struct{}), done: make(chan struct{})}
	cmd.Stderr = &p.stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("pyrotest: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("pyrotest: start %s %s: %v", py, strings.Join(args, " "), err)
	}
	go p.read(pipe)
	t.Cleanup(func() {
		if err := p.kill(); err != nil {
			t.Errorf("pyrotest: %v", err)
		}
	})
	m, err := p.waitLine(ready, ReadyTimeout)
	if err != nil {
		t.Fatalf("pyrotest: %s %s: %v\nstdout:\n%s\nstderr:\n%s", py, strings.Join(args, " "), err, p.Stdout(), p.Stderr())
	}
	p.Match = m
	return p
}

// read collects stdout lines, then reaps the process.
func (p *Process) read(pipe io.Reader) {
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.notifyLocked()
		p.mu.Unlock()
	}
	err := p.Cmd.Wait()
	p.mu.Lock()
	p.waitErr = err
	close(p.done)
	p.notifyLocked()
	p.mu.Unlock()
}

func (p *Process) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// WaitLine waits, at most timeout, for a stdout line matching re that comes
// after the ready line and after any line an earlier WaitLine matched, and
// returns its submatches. It fails the test when the line does not come.
func (p *Process) WaitLine(t testing.TB, re *regexp.Regexp, timeout time.Duration) []string {
	t.Helper()
	m, err := p.waitLine(re, timeout)
	if err != nil {
		t.Fatalf("pyrotest: %v\nstdout:\n%s\nstderr:\n%s", err, p.Stdout(), p.Stderr())
	}
	return m
}

func (p *Process) waitLine(re *regexp.Regexp, timeout time.Duration) ([]string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for ; p.next < len(p.lines); p.next++ {
			if m := re.FindStringSubmatch(p.lines[p.next]); m != nil {
				p.next++
				p.mu.Unlock()
				return m, nil
			}
		}
		changed := p.changed
		exited := isClosed(p.done)
		p.mu.Unlock()
		if exited {
			return nil, fmt.Errorf("process exited (%v) before printing a line matching %q", p.waitErr, re)
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil, fmt.Errorf("no line matching %q within %v", re, timeout)
		}
	}
}

// Stdout returns the stdout lines seen so far, each ending in a newline.
func (p *Process) Stdout() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	for _, l := range p.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// Stderr returns what the process wrote to stderr so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits, at most timeout, for the process to exit by itself (after a
// remote shutdown(), say) and returns its exit error.
func (p *Process) Wait(timeout time.Duration) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.waitErr
	case <-timer.C:
		return fmt.Errorf("pyrotest: process %d still running after %v", p.Cmd.Process.Pid, timeout)
	}
}

// kill ends the process unless it has exited, and waits until it is reaped.
func (p *Process) kill() error {
	if !isClosed(p.done) {
		// Kill by pid: this process is ours; an error means it just exited.
		_ = p.Cmd.Process.Kill()
	}
	timer := time.NewTimer(stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return nil
	case <-timer.C:
		return fmt.Errorf("process %d not reaped %v after kill", p.Cmd.Process.Pid, stopTimeout)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// syncBuffer is a bytes.Buffer safe for exec's copying goroutine and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Available reports whether the real Pyro4 can be imported, for tests that
// do more when it is there. Under CI (CI=true or GYRO_REQUIRE_PYRO4=1) it is
// always true, so a missing Pyro4 fails the Pyro4 parts instead of hiding them;
// under emulation it is false.
func Available() bool {
	if Emulated() {
		return false
	}
	if required() {
		return true
	}
	return exec.Command(Interpreter, "-c", "import Pyro4").Run() == nil
}
