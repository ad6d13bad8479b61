//go:build linux

package engine_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
)

const fdChildEnv = "GYRO_TEST_FD_CHILD"

// TestAcceptSurvivesFDExhaustion runs a daemon in a child process whose
// RLIMIT_NOFILE leaves room for a few connections, opens many more idle
// connections to it than that, then closes most of them: the daemon must
// keep running (accepting pauses and resumes, it never exits on an accept
// error), serve a new client, and log no error wrapping a nil one.
func TestAcceptSurvivesFDExhaustion(t *testing.T) {
	if os.Getenv(fdChildEnv) == "1" {
		fdChild()
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcceptSurvivesFDExhaustion$", "-test.count=1")
	cmd.Env = append(os.Environ(), fdChildEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	defer func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("child did not start: %v\n%s", err, stderr.String())
	}
	addr = strings.TrimSpace(addr)

	// far more idle clients than the child has descriptors: the kernel
	// queues them, the child's accepts run out of descriptors
	var idle []net.Conn
	for range 120 {
		nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			break // the backlog is full: enough
		}
		idle = append(idle, nc)
	}
	// one of the first ones is served, so the child did accept some
	probe := &rawClient{t: t, nc: idle[0]}
	probe.nc.SetDeadline(time.Now().Add(10 * time.Second))
	probe.handshake("calc")
	// hold the idle clients until the child has run out of descriptors
	// at least once: only then does the rest of the test mean anything
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stderr.String(), "too many open files"); {
		if time.Now().After(deadline) {
			t.Fatalf("the child never ran out of descriptors with %d idle clients:\n%s", len(idle), stderr.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the child's log, bounded above
	}
	for _, nc := range idle[1:] {
		nc.Close()
	}
	// a new client is served once descriptors are free again
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := &rawClient{t: t, nc: nc}
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	c.handshake("calc")
	if _, v := c.invoke("calc", "add", int64(20), int64(22)); v != int64(42) {
		t.Errorf("add = %v", v)
	}
	select {
	case <-exited:
		t.Fatalf("the daemon exited: %v\n%s", waitErr, stderr.String())
	default:
	}
	stdin.Close()
	select {
	case <-exited:
		if waitErr != nil {
			t.Errorf("child: %v\n%s", waitErr, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("child did not stop")
	}
	log := stderr.String()
	if testing.Verbose() {
		t.Logf("child log:\n%s", log)
	}
	if n := strings.Count(log, "too many open files"); n == 0 || n > 30 {
		// none: the test did not exhaust anything; many: the server spins
		// on (or drops) the queued clients instead of pausing
		t.Errorf("%d failures for lack of descriptors logged, want a few:\n%s", n, log)
	}
	if strings.Contains(log, "%!") {
		t.Errorf("a malformed log message (an error wrapping nil?):\n%s", log)
	}
}

// fdChild is the child: a daemon with few descriptors to spare, serving
// until its stdin closes.
func fdChild() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// the daemon's own descriptors (listener, pollers) plus a few clients
	lim := uint64(len(ents) + 24)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: lim, Max: lim}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg := testConfig()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	d.Register(Calculator{}, "calc", false)
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	fmt.Println(d.Addr().String())
	io.Copy(io.Discard, os.Stdin)
	d.Shutdown()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "RequestLoop:", err)
		os.Exit(1)
	}
	d.Close()
	os.Exit(0)
}

// lockedBuffer is a bytes.Buffer the child's stderr copier writes while
// the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
