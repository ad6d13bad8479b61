package etcdstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/internal/etcdtest"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/naming/etcdstore"
)

// helperEnv makes the test binary a Go daemon that registers leased names
// ("endpoints|prefix") and runs until killed.
const helperEnv = "GYRO_ETCDSTORE_LEASED_DAEMON"

// leaseTTL is the helper's lease: short, so its names expire quickly.
const leaseTTL = 2 * time.Second

func leasedDaemon() int {
	eps, prefix, _ := strings.Cut(os.Getenv(helperEnv), "|")
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	st, err := etcdstore.Open(ctx, etcdstore.Options{Endpoints: strings.Split(eps, ","), Prefix: prefix, Timeout: testTimeout})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	// "Pyro daemon running." tells the test the names are registered
	err = naming.ServeSimple(ctx, []naming.Object{
		{Obj: echo.New(io.Discard, false, nil), Name: "leased.echo"},
		{Obj: echo.New(io.Discard, false, nil), Name: "leased.b"},
	}, naming.ServeSimpleOptions{Host: "127.0.0.1", Store: st, LeaseTTL: leaseTTL, Verbose: true, Out: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// startNS runs a gyro name server over a store of its own on the cluster,
// until the test ends or the returned stop is called.
func startNS(t *testing.T, eps []string, prefix string, timeout time.Duration) (*naming.NS, *etcdstore.Store, func()) {
	t.Helper()
	return startNSConfig(t, eps, prefix, timeout, config.Default())
}

func startNSConfig(t *testing.T, eps []string, prefix string, timeout time.Duration, cfg config.Config) (*naming.NS, *etcdstore.Store, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := etcdstore.Open(ctx, etcdstore.Options{Endpoints: eps, Prefix: prefix, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1", Port: 0, NoBroadcast: true, Store: st, Config: &cfg})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	sctx, scancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ns.Serve(sctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		scancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if err := ns.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	t.Cleanup(stop)
	return ns, st, stop
}

// py runs a Pyro4 client script and returns its output lines.
func py(t *testing.T, script string, args ...any) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, "import sys, time, Pyro4, Pyro4.errors\n"+fmt.Sprintf(script, args...))
	if err != nil {
		t.Fatalf("%v\nstdout:\n%s", err, out)
	}
	return out
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	got := strings.Split(strings.TrimSpace(out), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Pyro4 client printed\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestNameServersShareRegistry: several gyro ns processes on one etcd
// serve one registry to Pyro4 clients, and the others keep serving when
// one goes.
func TestNameServersShareRegistry(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ns1, _, stop1 := startNS(t, c.Endpoints(), "/t/share/", testTimeout)
	ns2, st2, _ := startNS(t, c.Endpoints(), "/t/share/", testTimeout)
	out := py(t, `
ns1 = Pyro4.Proxy(%q)
ns2 = Pyro4.Proxy(%q)
ns1.register("app.echo", "PYRO:echo@localhost:9999", metadata={"svc", "echo"})
print("lookup2:", ns2.lookup("app.echo"))
print("meta2:", sorted(ns2.lookup("app.echo", return_metadata=True)[1]))
try:
    ns2.register("app.echo", "PYRO:other@localhost:1", safe=True)
    print("safe2: registered")
except Pyro4.errors.NamingError as e:
    print("safe2:", e)
print("list1:", sorted(ns1.list(prefix="app.").items()))
`, ns1.URI.String(), ns2.URI.String())
	wantLines(t, out,
		"lookup2: PYRO:echo@localhost:9999",
		"meta2: ['echo', 'svc']",
		"safe2: name already registered: app.echo",
		"list1: [('app.echo', 'PYRO:echo@localhost:9999')]")

	// ns2's listing holds the registration once its watch caught up
	if err := st2.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	stop1()
	out = py(t, `
ns2 = Pyro4.Proxy(%q)
print("list2:", sorted(ns2.list(metadata_all={"svc"}).keys()))
ns2.register("app.two", "PYRO:two@localhost:2")
print("lookup2:", ns2.lookup("app.two"))
print("removed:", ns2.remove(prefix="app."))
print("count:", ns2.count())
`, ns2.URI.String())
	wantLines(t, out, "list2: ['app.echo']", "lookup2: PYRO:two@localhost:2", "removed: 2", "count: 1")
}

// TestSafeRegisterRace: of many concurrent safe registers of one name
// through two name servers, exactly one wins.
func TestSafeRegisterRace(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ns1, _, _ := startNS(t, c.Endpoints(), "/t/race/", testTimeout)
	ns2, _, _ := startNS(t, c.Endpoints(), "/t/race/", testTimeout)
	ctx := context.Background()
	const n = 16
	errs := make(chan error, n)
	for i := range n {
		ns := ns1.NameServer
		if i%2 == 1 {
			ns = ns2.NameServer
		}
		go func() {
			errs <- ns.Register(ctx, "contested", fmt.Sprintf("PYRO:o%d@localhost:%d", i, 1000+i), true, nil)
		}()
	}
	wins := 0
	for range n {
		if err := <-errs; err == nil {
			wins++
		} else if !strings.Contains(err.Error(), "name already registered: contested") {
			t.Errorf("losing register: %v", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d safe registers won, want exactly 1", wins)
	}
}

// TestClusterMemberLoss: killing the leader of a three-member cluster is
// invisible to Pyro4 clients.
func TestClusterMemberLoss(t *testing.T) {
	c := etcdtest.Start(t, 3)
	// the bound covers a leader election (election timeout 500 ms)
	ns, _, _ := startNS(t, c.Endpoints(), "/t/member/", 3*time.Second)
	py(t, `Pyro4.Proxy(%q).register("before", "PYRO:b@localhost:1")`, ns.URI.String())
	leader := leaderOf(t, c)
	leader.Kill()
	t.Logf("killed leader %s", leader.Name)
	out := py(t, `
ns = Pyro4.Proxy(%q)
print("lookup:", ns.lookup("before"))
ns.register("after", "PYRO:a@localhost:2", safe=True)
print("list:", sorted(ns.list().keys()))
`, ns.URI.String())
	wantLines(t, out, "lookup: PYRO:b@localhost:1", "list: ['Pyro.NameServer', 'after', 'before']")
}

func leaderOf(t *testing.T, c *etcdtest.Cluster) *etcdtest.Member {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, m := range c.Members {
		st, err := cli.Status(ctx, m.ClientURL)
		if err != nil {
			t.Fatal(err)
		}
		if st.Leader == st.Header.MemberId {
			return m
		}
	}
	t.Fatal("no leader")
	return nil
}

// TestEtcdDown: with etcd gone, lookups and writes fail with a NamingError
// within the bound and listings stop within the cache window; when etcd
// returns, the same name server serves again.
func TestEtcdDown(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ns, _, _ := startNS(t, c.Endpoints(), "/t/down/", testTimeout)
	uri := ns.URI.String()
	py(t, `Pyro4.Proxy(%q).register("kept", "PYRO:k@localhost:1")`, uri)
	c.Members[0].Kill()
	// Each call must fail within the timeout plus the health interval and
	// a generous margin for a loaded machine; a hang fails the script's
	// COMMTIMEOUT instead of the whole test run.
	out := py(t, `
Pyro4.config.COMMTIMEOUT = 20
ns = Pyro4.Proxy(%q)
def timed(label, f):
    t0 = time.monotonic()
    try:
        f()
        print(label + ": answered")
    except Pyro4.errors.NamingError as e:
        ok = "bounded" if time.monotonic() - t0 < %f else "slow"
        print(label + ":", ok, str(e).split(":")[0] + ":" + str(e).split(":")[1])
timed("lookup", lambda: ns.lookup("kept"))
timed("register", lambda: ns.register("new", "PYRO:n@localhost:2"))
deadline = time.monotonic() + %f
while True:
    try:
        ns.list()
    except Pyro4.errors.NamingError as e:
        print("list:", str(e).split(":")[0] + ":" + str(e).split(":")[1])
        break
    if time.monotonic() > deadline:
        print("list: still answered from a stale cache")
        break
`, uri, (testTimeout + 3*time.Second).Seconds(), (2*testTimeout + 3*time.Second).Seconds())
	wantLines(t, out,
		"lookup: bounded storage error in get: etcd unavailable",
		"register: bounded storage error in set: etcd unavailable",
		"list: storage error in list: etcd unavailable")

	if err := c.Members[0].Restart(); err != nil {
		t.Fatal(err)
	}
	out = py(t, `
ns = Pyro4.Proxy(%q)
deadline = time.monotonic() + 15
while True:
    try:
        ns.register("back", "PYRO:b@localhost:3")
        break
    except Pyro4.errors.NamingError:
        if time.monotonic() > deadline:
            raise
print("lookup:", ns.lookup("kept"))
print("list:", sorted(ns.list().keys()))
`, uri)
	wantLines(t, out, "lookup: PYRO:k@localhost:1", "list: ['Pyro.NameServer', 'back', 'kept']")
}

// TestLeasedDaemonDies: the names a Go daemon (ServeSimple with a leased
// store) registered vanish after the TTL once it is killed; a Pyro4
// client's stay.
func TestLeasedDaemonDies(t *testing.T) {
	c := etcdtest.Start(t, 1)
	const prefix = "/t/lease/"
	ns, st, _ := startNS(t, c.Endpoints(), prefix, testTimeout)
	py(t, `Pyro4.Proxy(%q).register("pyro4.kept", "PYRO:k@localhost:1")`, ns.URI.String())

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join(c.Endpoints(), ",")+"|"+prefix)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stdout)
	for sc.Scan() && sc.Text() != "Pyro daemon running." {
	}
	if sc.Err() != nil || sc.Text() != "Pyro daemon running." {
		t.Fatalf("leased daemon ended its output: %v", sc.Err())
	}
	go io.Copy(io.Discard, stdout)
	// a Pyro4 client finds the daemon's object through the name server
	out := py(t, `
echo = Pyro4.Proxy("PYRONAME:leased.echo@127.0.0.1:%d")
print("echo:", echo.echo("through a leased name"))
`, ns.URI.Port)
	wantLines(t, out, "echo: through a leased name")

	// watch for the deletions before the kill, so none is missed
	wctx, cancel := context.WithTimeout(context.Background(), leaseTTL+10*time.Second)
	defer cancel()
	wch := st.Client().Watch(wctx, prefix+"leased.", clientv3.WithPrefix())
	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	deleted := 0
	for deleted < 2 {
		resp, ok := <-wch
		if !ok {
			t.Fatalf("leased names still there %v after the kill", time.Since(killed))
		}
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypeDelete {
				deleted++
			}
		}
	}
	t.Logf("leased names expired %v after the kill (TTL %v)", time.Since(killed).Round(time.Millisecond), leaseTTL)
	if err := st.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	out = py(t, `
ns = Pyro4.Proxy(%q)
try:
    ns.lookup("leased.echo")
except Pyro4.errors.NamingError as e:
    print("lookup:", e)
print("list:", sorted(ns.list().keys()))
`, ns.URI.String())
	wantLines(t, out, "lookup: unknown name: leased.echo", "list: ['Pyro.NameServer', 'pyro4.kept']")
}

// TestLeaseClose: closing a lease removes its names at once, and a leased
// name registered again by a client becomes permanent.
func TestLeaseClose(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ctx := context.Background()
	st := open(t, c.Endpoints(), "/t/leaseclose/")
	l, err := naming.RegisterLeased(ctx, st, 5*time.Second,
		naming.Registration{Name: "gone", URI: "PYRO:g@localhost:1"},
		naming.Registration{Name: "taken", URI: "PYRO:t@localhost:2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(t, st, ""); strings.Join(got, ",") != "gone,taken" {
		t.Fatalf("after RegisterLeased: %v", got)
	}
	if err := st.Set(ctx, naming.Registration{Name: "taken", URI: "PYRO:t@localhost:3"}); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	<-l.Done()
	if _, ok, _ := st.Get(ctx, "gone"); ok {
		t.Error("a name of a closed lease is still registered")
	}
	if r, ok, _ := st.Get(ctx, "taken"); !ok || r.URI != "PYRO:t@localhost:3" {
		t.Errorf("a re-registered name went with the lease: %+v, %v", r, ok)
	}
	_, err = naming.RegisterLeased(ctx, st, 5*time.Second, naming.Registration{Name: "", URI: "PYRO:x@localhost:1"})
	if err == nil {
		t.Error("RegisterLeased accepted an empty name")
	}
	if _, err := naming.RegisterLeased(ctx, naming.NewMemoryStorage(), 5*time.Second); !errors.Is(err, naming.ErrLeasesUnsupported) {
		t.Errorf("RegisterLeased on memory: %v, want ErrLeasesUnsupported", err)
	}
}

// TestBroadcastAnswersOwnURI: every name server on the registry answers a
// Pyro4 client's locateNS broadcast with its own URI, and what the client
// finds there is the shared registry.
func TestBroadcastAnswersOwnURI(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ns1, _, _ := startNS(t, c.Endpoints(), "/t/bc/", testTimeout)
	ns2, _, _ := startNS(t, c.Endpoints(), "/t/bc/", testTimeout)
	if err := ns1.NameServer.Register(context.Background(), "shared", "PYRO:s@localhost:1", false, nil); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []*naming.NS{ns1, ns2} {
		// StartNS starts no broadcast server on loopback, as Pyro4; this
		// one, on 127.0.0.1, answers for ns as gyro ns -n 0.0.0.0 would
		bc, err := naming.NewBroadcastServer(ns.InternalURI, "127.0.0.1", 0)
		if err != nil {
			t.Fatal(err)
		}
		done := bc.RunInBackground()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		// NS_HOST:NS_PORT points at a dead port, so only the broadcast
		// (to 127.0.0.1) can find a name server
		out, err := pyrotest.Run(t, ctx, `
import Pyro4
ns = Pyro4.locateNS()
print("located:", ns._pyroUri)
print("lookup:", ns.lookup("shared"))
`, "PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+deadPort(t), "PYRO_BROADCAST_ADDRS=127.0.0.1",
			fmt.Sprintf("PYRO_NS_BCPORT=%d", bc.Port()))
		cancel()
		bc.Close()
		<-done
		if err != nil {
			t.Fatal(err)
		}
		wantLines(t, out, "located: "+ns.InternalURI.String(), "lookup: PYRO:s@localhost:1")
	}
}

// deadPort returns a loopback TCP port that was free a moment ago.
func deadPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestAutocleanOnEtcd: NS_AUTOCLEAN works over the etcd store as over the
// others: a name whose server stays unreachable goes (after Pyro4's 20 s),
// a name whose server answers stays.
func TestAutocleanOnEtcd(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for Pyro4's 20 s of unreachability")
	}
	c := etcdtest.Start(t, 1)
	cfg := config.Default()
	cfg.NSAutoclean = 3 * time.Second // Pyro4's minimum
	ns, st, _ := startNSConfig(t, c.Endpoints(), "/t/autoclean/", testTimeout, cfg)
	py(t, `
ns = Pyro4.Proxy(%q)
ns.register("app.dead", "PYRO:gone@127.0.0.1:%s")
ns.register("app.live", %q)
`, ns.URI.String(), deadPort(t), ns.URI.String())
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := st.Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := names(t, st, "app.")
		if len(got) == 1 && got[0] == "app.live" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("names after 60 s of autoclean: %v, want [app.live]", got)
		}
		time.Sleep(500 * time.Millisecond) // polling a timed behaviour, bounded above
	}
}
