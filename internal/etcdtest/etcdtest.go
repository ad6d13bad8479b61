package etcdtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary is where Debian's etcd-server installs etcd.
const Binary = "/usr/bin/etcd"

// startTimeout bounds the wait for a cluster to serve.
const startTimeout = 20 * time.Second

// Cluster is a running set of etcd members.
type Cluster struct {
	Members []*Member
}

// Member is one etcd process.
type Member struct {
	Name      string
	ClientURL string
	PeerURL   string
	args      []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *logBuffer
	done chan struct{}
}

// logBuffer collects a member's log; exec writes it from its own
// goroutine while waitReady reads it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Available reports whether etcd is installed.
func Available() bool {
	_, err := os.Stat(Binary)
	return err == nil
}

func required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("GYRO_REQUIRE_ETCD") == "1"
}

// Start runs an n-member cluster until the test ends, and waits until every
// member serves clients.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	if !Available() {
		if required() {
			t.Fatalf("%s missing: apt-get install etcd-server (make deps does)", Binary)
		}
		t.Skipf("%s missing: apt-get install etcd-server to run this test", Binary)
	}
	c, err := Launch(t.TempDir(), n)
	if err != nil {
		t.Fatalf("etcdtest: %v", err)
	}
	t.Cleanup(c.Stop)
	return c
}

// Launch runs an n-member cluster with its data under dir (for commands
// such as benchmarks; tests use Start), retrying with new ports when etcd
// cannot bind the ones it was given. The caller stops it.
func Launch(dir string, n int) (*Cluster, error) {
	var lastErr error
	for attempt := range 3 {
		c, err := launch(filepath.Join(dir, fmt.Sprint(attempt)), n)
		if err == nil {
			return c, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func launch(dir string, n int) (*Cluster, error) {
	c := &Cluster{}
	var initial []string
	for i := range n {
		ca, err := freeAddr()
		if err != nil {
			return nil, err
		}
		pa, err := freeAddr()
		if err != nil {
			return nil, err
		}
		m := &Member{Name: fmt.Sprintf("m%d", i), ClientURL: "http://" + ca, PeerURL: "http://" + pa}
		initial = append(initial, m.Name+"="+m.PeerURL)
		c.Members = append(c.Members, m)
	}
	for _, m := range c.Members {
		m.args = []string{
			"--name", m.Name, "--data-dir", filepath.Join(dir, m.Name),
			"--listen-client-urls", m.ClientURL, "--advertise-client-urls", m.ClientURL,
			"--listen-peer-urls", m.PeerURL, "--initial-advertise-peer-urls", m.PeerURL,
			"--initial-cluster", strings.Join(initial, ","),
			"--initial-cluster-state", "new", "--initial-cluster-token", dir,
			"--heartbeat-interval", "50", "--election-timeout", "500",
			"--logger", "zap", "--log-outputs", "stderr",
		}
		if err := m.launch(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	for _, m := range c.Members {
		if err := m.waitReady(); err != nil {
			c.Stop()
			return nil, err
		}
	}
	return c, nil
}

// freeAddr returns a loopback address whose port the kernel just handed
// out.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Endpoints returns the members' client URLs.
func (c *Cluster) Endpoints() []string {
	eps := make([]string, len(c.Members))
	for i, m := range c.Members {
		eps[i] = m.ClientURL
	}
	return eps
}

// Spec returns the gyro ns storage spec of the cluster.
func (c *Cluster) Spec() string { return "etcd:" + strings.Join(c.Endpoints(), ",") }

// Stop kills every member.
func (c *Cluster) Stop() {
	for _, m := range c.Members {
		m.Kill()
	}
}

func (m *Member) launch() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.out = new(logBuffer)
	m.cmd = exec.Command(Binary, m.args...)
	m.cmd.Stdout = m.out
	m.cmd.Stderr = m.out
	m.cmd.Env = append(os.Environ(), "ETCD_UNSUPPORTED_ARCH=")
	if err := m.cmd.Start(); err != nil {
		return err
	}
	m.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) {
		cmd.Wait()
		close(done)
	}(m.cmd, m.done)
	return nil
}

// waitReady waits for etcd's "serving client traffic" line, which it logs
// once it has joined a cluster with a leader and published itself.
func (m *Member) waitReady() error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		m.mu.Lock()
		log, done := m.out.String(), m.done
		m.mu.Unlock()
		if strings.Contains(log, `"msg":"serving client traffic`) {
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("etcd %s exited: %s", m.Name, tail(log))
		case <-tick.C:
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return fmt.Errorf("etcd %s not ready within %v: %s", m.Name, startTimeout, tail(m.out.String()))
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// Kill stops the member with SIGKILL and waits for it to exit.
func (m *Member) Kill() {
	m.mu.Lock()
	cmd, done := m.cmd, m.done
	m.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Restart starts a killed member again on its data and waits until it
// serves.
func (m *Member) Restart() error {
	if err := m.launch(); err != nil {
		return err
	}
	return m.waitReady()
}
