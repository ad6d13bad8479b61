package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/naming"
)

// syncBuilder is a strings.Builder that a server goroutine may write to
// while the test reads it.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// nscStep is one nsc run: its arguments, its stdin and what it printed.
type nscStep struct {
	Args  []string `json:"args"`
	Stdin string   `json:"stdin"`
}

type nscResult struct {
	Out  string `json:"out"`
	Err  string `json:"err"`
	Code int    `json:"code"`
}

// runNSC runs `gyro nsc args...` in-process.
func runNSC(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	code = runContext(context.Background(), append([]string{"nsc"}, args...), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

// pyroNSC runs Pyro4's own nsc for every step, in one python process.
func pyroNSC(t *testing.T, steps []nscStep, env ...string) []nscResult {
	t.Helper()
	in, err := json.Marshal(steps)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pyrotest.RunScript(t, context.Background(), "testdata/nscdriver.py", nil, string(in), env...)
	if err != nil {
		t.Fatal(err)
	}
	var res []nscResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("driver output %q: %v", out, err)
	}
	return res
}

func gyroNSC(t *testing.T, steps []nscStep) []nscResult {
	t.Helper()
	res := make([]nscResult, len(steps))
	for i, s := range steps {
		out, errOut, code := runNSC(t, s.Stdin, s.Args...)
		res[i] = nscResult{out, errOut, code}
	}
	return res
}

// nscScript exercises every pyro4-nsc command, its errors and its exit
// codes, on a fresh name server.
var nscScript = []nscStep{
	{Args: []string{"ping"}},
	{Args: []string{"list"}},
	{Args: []string{"register", "a.one", "PYRO:o1@localhost:5001"}},
	{Args: []string{"register", "a.one", "PYRO:o1@localhost:5001"}},
	{Args: []string{"register", "a.two", "PYRO:o2@localhost:5002"}},
	{Args: []string{"register", "b.x", "PYRO:o3@localhost:5003"}},
	{Args: []string{"register", "bad", "notauri"}},
	{Args: []string{"register", "a.three"}},
	{Args: []string{"setmeta", "a.one", "m1", "it's", `x"y`, "ünï", `back\slash`, "m1"}},
	{Args: []string{"setmeta", "a.two", "m2"}},
	{Args: []string{"setmeta", "nope", "x"}},
	{Args: []string{"setmeta"}},
	{Args: []string{"lookup", "a.one"}},
	{Args: []string{"lookup", "nope"}},
	{Args: []string{"lookup"}},
	{Args: []string{"list"}},
	{Args: []string{"list", "a."}},
	{Args: []string{"listmatching", `a\.t`}},
	{Args: []string{"listmatching", "("}},
	{Args: []string{"listmatching"}},
	{Args: []string{"listmeta_all", "m1", "it's"}},
	{Args: []string{"listmeta_any", "m2", "zz"}},
	{Args: []string{"listmeta_all", "m1", "zz"}},
	{Args: []string{"listmeta_any"}},
	{Args: []string{"remove", "b.x"}},
	{Args: []string{"remove", "b.x"}},
	{Args: []string{"remove"}},
	{Args: []string{"removematching", "a"}, Stdin: "n\n"},
	{Args: []string{"removematching", "a"}},
	{Args: []string{"setmeta", "a.two"}},
	{Args: []string{"lookup", "a.two"}},
	{Args: []string{"removematching", `a\.`}, Stdin: "y\n"},
	{Args: []string{"list"}},
	{Args: []string{"-v", "ping"}},
	{Args: []string{"ping", "-v"}},
	{Args: []string{"bogus"}},
	{Args: nil},
}

// withNS prefixes every step with the name server's address.
func withNS(steps []nscStep, opts ...string) []nscStep {
	out := make([]nscStep, len(steps))
	for i, s := range steps {
		out[i] = nscStep{Args: append(slices.Clone(opts), s.Args...), Stdin: s.Stdin}
	}
	return out
}

var (
	metaLine   = regexp.MustCompile(`(?m)^( *metadata: )\[(.*)\]$`)
	regexError = regexp.MustCompile(`(invalid regex: ).*`)
)

// normalize makes outputs comparable across name servers: the name
// server's port, the order of tags (a set in Pyro4, sorted in gyro), the
// text of a regex error (Python's re versus RE2), and usage texts.
func normalize(r nscResult, nsPort string) nscResult {
	r.Out = strings.ReplaceAll(r.Out, ":"+nsPort, ":NSPORT")
	r.Out = metaLine.ReplaceAllStringFunc(r.Out, func(l string) string {
		m := metaLine.FindStringSubmatch(l)
		tags := strings.Split(m[2], ", ")
		slices.Sort(tags)
		return m[1] + "[" + strings.Join(tags, ", ") + "]"
	})
	r.Out = regexError.ReplaceAllString(r.Out, "${1}...")
	if r.Code == 2 && strings.Contains(r.Err, "error: invalid or missing command") {
		r.Err = "usage error"
	}
	return r
}

// TestNSCMatchesPyro4 runs the same nsc script with both clients (gyro
// nsc, Pyro4's nsc) against both name servers (gyro ns, pyro4-ns), each on
// a fresh server, and checks that all four transcripts equal Pyro4's own.
func TestNSCMatchesPyro4(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	_, _, gyroPort := startGyroNS(t, "-n", "127.0.0.1", "-p", "0")
	_, _, gyroPort2 := startGyroNS(t, "-n", "127.0.0.1", "-p", "0")
	_, pyroPort := startPyroNS(t, []string{"-n", "127.0.0.1", "-p", "0", "-x"}, "PYRO_HMAC_KEY=")
	_, pyroPort2 := startPyroNS(t, []string{"-n", "127.0.0.1", "-p", "0", "-x"}, "PYRO_HMAC_KEY=")
	at := func(port string) []nscStep { return withNS(nscScript, "-n", "127.0.0.1", "-p", port) }

	want := pyroNSC(t, at(pyroPort), "PYRO_HMAC_KEY=")
	runs := []struct {
		name string
		port string
		res  []nscResult
	}{
		{"pyro4 nsc, gyro ns", gyroPort, pyroNSC(t, at(gyroPort), "PYRO_HMAC_KEY=")},
		{"gyro nsc, gyro ns", gyroPort2, gyroNSC(t, at(gyroPort2))},
		{"gyro nsc, pyro4-ns", pyroPort2, gyroNSC(t, at(pyroPort2))},
	}
	for _, run := range runs {
		for i, step := range nscScript {
			w, g := normalize(want[i], pyroPort), normalize(run.res[i], run.port)
			if g != w {
				t.Errorf("%s: nsc %q:\ngot  %+v\nwant %+v", run.name, step.Args, g, w)
			}
		}
	}
	// spot checks that the reference says what pyro4-nsc is known to say
	for i, want := range map[int]string{
		0:  "Name server ping ok.\n",
		3:  "Error: NamingError - name already registered: a.one\n",
		13: "Error: NamingError - unknown name: nope\n",
		27: "Potentially removing lots of items from the Name server. Are you sure (y/n)?",
	} {
		if got := normalize(runs[1].res[i], gyroPort2).Out; got != want {
			t.Errorf("gyro nsc %q printed %q, want %q", nscScript[i].Args, runs[1].res[i].Out, want)
		}
	}
}

// TestNSCBroadcast checks that -p without -n is the broadcast port, as in
// pyro4-nsc: both clients find the name server through a broadcast
// responder on 127.0.0.1.
func TestNSCBroadcast(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HMAC_KEY", "")
	t.Setenv("PYRO_BROADCAST_ADDRS", "127.0.0.1")
	ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1", NoBroadcast: true})
	if err != nil {
		t.Fatal(err)
	}
	bc, err := naming.NewBroadcastServer(ns.InternalURI, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ns.Serve(ctx)
	}()
	bcDone := bc.RunInBackground()
	t.Cleanup(func() {
		cancel()
		<-done
		bc.Close()
		<-bcDone
		ns.Close()
	})
	// NS_HOST must not find it directly: it is no loopback name here
	steps := []nscStep{{Args: []string{"-p", fmt.Sprint(bc.Port()), "-v", "ping"}}}
	want := pyroNSC(t, steps, "PYRO_BROADCAST_ADDRS=127.0.0.1", "PYRO_NS_HOST=ns.invalid", "PYRO_HMAC_KEY=")
	t.Setenv("PYRO_NS_HOST", "ns.invalid")
	got := gyroNSC(t, steps)
	wantOut := fmt.Sprintf("Locating name server...\nName server found: %s\nName server ping ok.\nDone.\n", ns.InternalURI)
	if want[0].Out != wantOut {
		t.Errorf("pyro4 nsc: %+v, want %q", want[0], wantOut)
	}
	if got[0] != want[0] {
		t.Errorf("gyro nsc: %+v, want %+v", got[0], want[0])
	}
}

// TestNSCUnixSocketAndHMAC runs a gyro name server on a Unix socket with
// an HMAC key and checks -u, -k, PYRO_HMAC_KEY and a failed locate.
func TestNSCUnixSocketAndHMAC(t *testing.T) {
	pyrotest.Python(t)
	sock := filepath.Join(t.TempDir(), "ns.sock")
	t.Setenv("PYRO_HMAC_KEY", "secret")
	startGyroNS(t, "-u", sock)
	steps := []nscStep{{Args: []string{"-u", sock, "register", "x", "PYRO:x@./u:/tmp/x.sock"}}, {Args: []string{"-u", sock, "list", "x"}}}
	want := pyroNSC(t, steps, "PYRO_HMAC_KEY=secret")
	if want[0].Out != "Registered x\n" {
		t.Fatalf("pyro4 nsc: %+v", want)
	}
	got := gyroNSC(t, steps[1:])
	if got[0] != want[1] {
		t.Errorf("gyro nsc list: %+v, want %+v", got[0], want[1])
	}

	tests := []struct {
		name         string
		env          string
		args         []string
		out, errText string
		code         int
	}{
		{"key from -k", "", []string{"-k", "secret", "-u", sock, "ping"}, "Name server ping ok.\n", "deprecated", 0},
		{"no key", "", []string{"-u", sock, "ping"}, "Error: Failed to locate the nameserver\n", "", 0},
		{"wrong key", "nope", []string{"-u", sock, "ping"}, "Error: Failed to locate the nameserver\n", "", 0},
		{"-k and env", "secret", []string{"-k", "secret", "-u", sock, "ping"}, "", "don't use -k and PYRO_HMAC_KEY at the same time", 1},
		{"no name server", "", []string{"-u", sock + ".missing", "ping"}, "Error: Failed to locate the nameserver\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PYRO_HMAC_KEY", tt.env)
			if tt.env == "" {
				os.Unsetenv("PYRO_HMAC_KEY") // as Pyro4, an empty one counts as set
			}
			out, errOut, code := runNSC(t, "", tt.args...)
			if out != tt.out || code != tt.code || !strings.Contains(errOut, tt.errText) {
				t.Errorf("got %q, %q, code %d; want %q, %q, code %d", out, errOut, code, tt.out, tt.errText, tt.code)
			}
		})
	}
}
