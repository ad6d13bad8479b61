package naming

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

// nsProcess is the test binary re-run as a name server on a bolt store
// (see helperMain).
type nsProcess struct {
	cmd  *exec.Cmd
	uri  pyval.URI
	seen []string // stdout lines up to the URI line
	done chan error
}

// startNSProcess starts the helper and waits for its "URI = ..." line.
func startNSProcess(t *testing.T, path string) *nsProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &nsProcess{cmd: cmd, done: make(chan error, 1)}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill() // by pid: the helper is ours
		for range lines {
		}
	})
	timer := time.NewTimer(30 * time.Second) // a bound, not a sync
	defer timer.Stop()
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("helper exited: %q", p.seen)
			}
			p.seen = append(p.seen, l)
			if m := uriLine.FindStringSubmatch(l); m != nil {
				p.uri = mustURI(t, m[1])
				go func() {
					for range lines { // keep draining so the helper never blocks
					}
				}()
				return p
			}
		case <-timer.C:
			t.Fatalf("helper printed no URI: %q", p.seen)
		}
	}
}

// TestAcknowledgedRegistrationsSurviveKill registers names through a name
// server on a bolt store while it is killed with SIGKILL, restarts it on
// the same file, and finds every registration the dead server had
// acknowledged.
func TestAcknowledgedRegistrationsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "ns.db")
	first := startNSProcess(t, path)

	acked := make(chan string, 10000)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p := testProxy(t, first.uri, proxy.Options{})
		defer p.Close()
		for i := 0; ; i++ {
			name := fmt.Sprintf("name.%05d", i)
			if _, err := p.CallKw(ctx, "register", []any{name, "PYRO:obj" + strconv.Itoa(i) + "@127.0.0.1:1"},
				map[string]any{"metadata": []string{"tag" + strconv.Itoa(i%3)}}); err != nil {
				return // the server is gone
			}
			acked <- name
		}
	}()
	// kill it in the middle of the stream of registrations
	var names []string
	for len(names) < 200 {
		names = append(names, <-acked)
	}
	if err := first.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-stopped
	close(acked)
	for n := range acked {
		names = append(names, n)
	}
	<-first.done

	second := startNSProcess(t, path)
	stored := regexp.MustCompile(`^Persistent store contains (\d+) existing registrations\.$`)
	found := false
	for _, l := range second.seen {
		if m := stored.FindStringSubmatch(l); m != nil {
			found = true
			if n, _ := strconv.Atoi(m[1]); n < len(names)+1 {
				t.Errorf("%q, but %d were acknowledged (plus the name server)", l, len(names))
			}
		}
	}
	if !found {
		t.Errorf("no store message in %q", second.seen)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := testProxy(t, second.uri, proxy.Options{})
	defer p.Close()
	v, err := p.CallKw(ctx, "list", nil, map[string]any{"return_metadata": true})
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*pyval.Dict)
	for _, n := range names {
		e, ok := d.Get(n)
		if !ok {
			t.Errorf("acknowledged %s is lost", n)
			continue
		}
		i, _ := strconv.Atoi(n[len("name."):])
		want := pyval.Tuple{"PYRO:obj" + strconv.Itoa(i) + "@127.0.0.1:1", []any{"tag" + strconv.Itoa(i%3)}}
		if !pyval.Equal(e, want) {
			t.Errorf("%s is %v, want %v", n, e, want)
		}
	}
	t.Logf("%d acknowledged registrations survived SIGKILL", len(names))
}
