package naming

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// lineWriter hands every complete line written to it to a channel, so a
// test can wait for a server's output instead of sleeping.
type lineWriter struct {
	mu  sync.Mutex
	buf []byte
	ch  chan string
}

func newLineWriter() *lineWriter { return &lineWriter{ch: make(chan string, 1000)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.ch <- string(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

// until collects lines up to and including the first one matching re.
func (w *lineWriter) until(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	var got []string
	timer := time.NewTimer(10 * time.Second) // a bound, not a sync
	defer timer.Stop()
	for {
		select {
		case l := <-w.ch:
			got = append(got, l)
			if re.MatchString(l) {
				return got
			}
		case <-timer.C:
			t.Fatalf("no line matching %q; got %q", re, got)
		}
	}
}

var (
	startedLine = regexp.MustCompile(`^(external )?URI = `)
	portNumber  = regexp.MustCompile(`(127\.0\.0\.1|localhost|\[::1\]):\d+`)
)

// TestStartNSLoopPrintsLikePyro4 compares StartNSLoop's messages with what
// pyro4-ns prints for the same options.
func TestStartNSLoopPrintsLikePyro4(t *testing.T) {
	pyrotest.Python(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string // pyro4-ns arguments
		env   []string
		opts  NSOptions
		sock  string
		store []Registration
	}{
		{name: "127.0.0.1", args: []string{"-n", "127.0.0.1", "-p", "0"}, opts: NSOptions{Host: "127.0.0.1"}},
		{name: "localhost", args: []string{"-n", "localhost", "-p", "0"}, opts: NSOptions{Host: "localhost"}},
		{name: "nobc", args: []string{"-n", "127.0.0.1", "-p", "0", "-x"}, opts: NSOptions{Host: "127.0.0.1", NoBroadcast: true}},
		{name: "ipv6", args: []string{"-n", "::1", "-p", "0"}, opts: NSOptions{Host: "::1"}},
		{name: "hmac", args: []string{"-n", "127.0.0.1", "-p", "0"}, env: []string{"PYRO_HMAC_KEY=secret"},
			opts: NSOptions{Host: "127.0.0.1", HMACKey: []byte("secret")}},
		{name: "nat", args: []string{"-n", "127.0.0.1", "-p", "0", "--nathost", "nat.example", "--natport", "5555"},
			opts: NSOptions{Host: "127.0.0.1", NATHost: "nat.example", NATPort: 5555}},
		{name: "unix", args: []string{"-u", filepath.Join(dir, "py.sock")}, sock: filepath.Join(dir, "py.sock"),
			opts: NSOptions{UnixSocket: filepath.Join(dir, "gyro.sock")}},
		{name: "persistent", args: []string{"-n", "127.0.0.1", "-p", "0", "-s", "sql:" + filepath.Join(dir, "py.sqlite")},
			opts:  NSOptions{Host: "127.0.0.1", Storage: "bolt:" + filepath.Join(dir, "gyro.db")},
			store: []Registration{{Name: "old.one", URI: "PYRO:a@h:1"}, {Name: "old.two", URI: "PYRO:b@h:2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.store != nil {
				seedStores(t, tc.args[len(tc.args)-1], tc.opts.Storage, tc.store)
			}
			py := pyrotest.Start(t, append([]string{"-m", "Pyro4.naming"}, tc.args...), startedLine, tc.env...)
			want := normalizeStartup(py.Stdout(), tc.sock, "<SOCK>")

			out := newLineWriter()
			tc.opts.Out = out
			tc.opts.Config = testConfig(t)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- StartNSLoop(ctx, tc.opts) }()
			lines := out.until(t, startedLine)
			got := normalizeStartup(strings.Join(lines, "\n")+"\n", tc.opts.UnixSocket, "<SOCK>")
			if got != want {
				t.Errorf("startup output\n--- gyro:\n%s--- pyro4-ns:\n%s", got, want)
			}
			// the URI printed is the one that answers
			uri := lines[len(lines)-1][strings.Index(lines[len(lines)-1], "= ")+2:]
			if tc.opts.NATHost != "" {
				uri = strings.TrimPrefix(lines[len(lines)-2], "internal URI = ")
			}
			p := testProxy(t, pyval.MustParseURI(uri), proxy.Options{HMACKey: tc.opts.HMACKey})
			if _, err := p.Call(ctx, "ping"); err != nil {
				t.Errorf("ping %s: %v", uri, err)
			}
			p.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("StartNSLoop: %v", err)
			}
			if last := out.until(t, regexp.MustCompile(`.`)); last[0] != "NS shut down." {
				t.Errorf("last line %q", last[0])
			}
		})
	}
}

// seedStores fills Pyro4's SQL store and gyro's bolt store with the same
// registrations.
func seedStores(t *testing.T, pySpec, gyroSpec string, regs []Registration) {
	t.Helper()
	st, err := OpenStorage(gyroSpec)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("from Pyro4.naming_storage import SqlStorage\ns = SqlStorage(" + serial.ReprString(strings.TrimPrefix(pySpec, "sql:")) + ")\n")
	for _, r := range regs {
		if err := st.Set(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		b.WriteString("s[" + serial.ReprString(r.Name) + "] = (" + serial.ReprString(r.URI) + ", None)\n")
	}
	st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if out, err := pyrotest.Run(t, ctx, b.String()); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func normalizeStartup(s, sock, repl string) string {
	if sock != "" {
		s = strings.ReplaceAll(s, sock, repl)
	}
	return portNumber.ReplaceAllString(s, "$1:PORT")
}

func TestWantBroadcast(t *testing.T) {
	for _, tc := range []struct {
		ip        string
		ipv6, off bool
		want      bool
	}{
		{"10.0.0.5", false, false, true},
		{"0.0.0.0", false, false, true},
		{"10.0.0.5", false, true, false},
		{"127.0.0.1", false, false, false},
		{"127.0.1.1", false, false, false},
		{"::1", true, false, false},
		{"fe80::1", true, false, false},
		{"Unix domain socket", false, false, false},
	} {
		if got := wantBroadcast(tc.ip, tc.ipv6, tc.off); got != tc.want {
			t.Errorf("wantBroadcast(%q, %v, %v) = %v", tc.ip, tc.ipv6, tc.off, got)
		}
	}
}

// TestStartNS checks what StartNS sets up: the self-registration, URIs
// with and without NAT, and no broadcast server on loopback.
func TestStartNS(t *testing.T) {
	ctx := context.Background()
	ns := startNS(t, func(o *NSOptions) { o.NATHost, o.NATPort, o.NoBroadcast = "nat.example", 5555, false })
	if ns.Broadcast != nil {
		t.Error("a broadcast server for a loopback name server")
	}
	if ns.URI.String() != "PYRO:Pyro.NameServer@nat.example:5555" || ns.InternalURI.Host != "127.0.0.1" {
		t.Errorf("URI %s, internal %s", ns.URI, ns.InternalURI)
	}
	v, err := ns.NameServer.Lookup(ctx, NameServerName, true)
	if want := (pyval.Tuple{ns.URI, []any{NameServerClassTag}}); err != nil || !pyval.Equal(v, want) {
		t.Errorf("self registration %v, %v", v, err)
	}
	if got := ns.Daemon.Registry().Registered(); strings.Join(got, " ") != "Pyro.Daemon Pyro.NameServer" {
		t.Errorf("registered %q", got)
	}
	for _, tc := range []struct {
		name string
		opts NSOptions
		want string
	}{
		{"bad storage", NSOptions{Host: "127.0.0.1", Storage: "sql:x"}, "use bolt:x"},
		{"port in use", NSOptions{Host: "127.0.0.1", Port: ns.InternalURI.Port}, "address already in use"},
		{"autoclean too small", NSOptions{Host: "127.0.0.1", Config: func() *config.Config { c := testConfig(t); c.NSAutoclean = time.Second; return c }()},
			"NS_AUTOCLEAN cannot be smaller than 3s"},
	} {
		n, err := StartNS(tc.opts)
		if err == nil {
			n.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestAutoclean removes registrations whose server is gone, keeps the live
// ones and those without a server of their own.
func TestAutoclean(t *testing.T) {
	savedMin, savedDelay, savedMax := autocleanMin, autocleanLoopDelay, autocleanMaxUnreachable
	passes := make(chan struct{}, 100)
	t.Cleanup(func() {
		autocleanMin, autocleanLoopDelay, autocleanMaxUnreachable = savedMin, savedDelay, savedMax
		autocleanPassHook = nil
	})
	autocleanMin, autocleanLoopDelay, autocleanMaxUnreachable = 0, time.Millisecond, 0
	autocleanPassHook = func() { passes <- struct{}{} }
	ns := startNS(t, func(o *NSOptions) { o.Config.NSAutoclean = time.Millisecond })
	ctx := context.Background()
	live := ns.InternalURI
	live.Object = "live"
	for name, uri := range map[string]any{
		"live":  live,
		"dead":  "PYRO:dead@127.0.0.1:" + itoa(deadTCPPort(t)),
		"alias": "PYRONAME:live",
	} {
		if err := ns.NameServer.Register(ctx, name, uri, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	// drop the passes that ran before the registrations; of the next two,
	// the second surely started after them
	for len(passes) > 0 {
		<-passes
	}
	for range 2 {
		select {
		case <-passes:
		case <-time.After(10 * time.Second):
			t.Fatal("no autoclean pass")
		}
	}
	if got := strings.Join(listNames(t, ns.NameServer), " "); got != "Pyro.NameServer alias live" {
		t.Errorf("after autoclean: %s", got)
	}
}
