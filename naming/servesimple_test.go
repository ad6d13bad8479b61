package naming

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

var runningLine = regexp.MustCompile(`^Pyro daemon running\.$`)

// described is an object that describes itself, as a Python __repr__.
type described struct{}

func (described) Method(arg int) int { return arg * 2 }
func (described) GoString() string   { return "<described thing>" }

// runServeSimple starts ServeSimple and waits for "Pyro daemon running.";
// it returns the printed lines and a stop function that returns
// ServeSimple's result.
func runServeSimple(t *testing.T, objects []Object, opts ServeSimpleOptions) ([]string, func() error) {
	t.Helper()
	out := newLineWriter()
	opts.Out, opts.Verbose = out, true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeSimple(ctx, objects, opts) }()
	lines := out.until(t, runningLine)
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return lines, stop
}

// TestServeSimpleWithoutNS: names are object ids in the daemon, "" gets a
// generated id, nothing is published, and the daemon is closed after.
func TestServeSimpleWithoutNS(t *testing.T) {
	ctx := context.Background()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: testConfig(t)})
	if err != nil {
		t.Fatal(err)
	}
	loc := d.LocationStr()
	lines, stop := runServeSimple(t, []Object{
		{Obj: described{}, Name: "example.thing"},
		{Obj: &thing{}},
		{Obj: dispatch.NewClass[thing](dispatch.PerCall, nil), Name: "example.class"},
	}, ServeSimpleOptions{Daemon: d})
	want := []*regexp.Regexp{
		regexp.MustCompile(`^Object <described thing>:$`),
		regexp.MustCompile(`^    uri = PYRO:example\.thing@` + regexp.QuoteMeta(loc) + `$`),
		regexp.MustCompile(`^Object <naming\.thing object at 0x[0-9a-f]+>:$`),
		regexp.MustCompile(`^    uri = PYRO:obj_[0-9a-f]{32}@` + regexp.QuoteMeta(loc) + `$`),
		regexp.MustCompile(`^Object <class 'naming\.thing'>:$`),
		regexp.MustCompile(`^    uri = PYRO:example\.class@` + regexp.QuoteMeta(loc) + `$`),
		runningLine,
	}
	if len(lines) != len(want) {
		t.Fatalf("output %q", lines)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d %q does not match %s", i, lines[i], re)
		}
	}
	generated := strings.TrimPrefix(lines[3], "    uri = ")
	for _, u := range []string{"PYRO:example.thing@" + loc, generated, "PYRO:example.class@" + loc} {
		p, err := proxy.New(u, proxy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := p.Call(ctx, "method", 4); err != nil || v != int64(8) {
			t.Errorf("%s: method(4) = %v, %v", u, v, err)
		}
		p.Close()
	}
	if err := stop(); err != nil {
		t.Errorf("ServeSimple: %v", err)
	}
	if err := testProxy(t, pyval.MustParseURI("PYRO:example.thing@"+loc), proxy.Options{}).Bind(ctx); err == nil {
		t.Error("the daemon still serves after ServeSimple returned")
	}
}

// TestServeSimpleWithNS is the chapter's Example 2 with ServeSimple: the
// named object is published in the name server, and the real Pyro4 client
// reaches it as PYRONAME:mythingy; the unnamed one is not published.
func TestServeSimpleWithNS(t *testing.T) {
	ns := startNS(t, nil)
	cfg := testConfig(t)
	cfg.NSPort = ns.URI.Port // the NS_HOST step of LocateNS finds it
	lines, _ := runServeSimple(t, []Object{{Obj: thing{}, Name: "mythingy"}, {Obj: thing{}}},
		ServeSimpleOptions{Host: "127.0.0.1", NS: true, Config: cfg})
	if len(lines) != 6 || lines[2] != "    name = mythingy" || !strings.HasPrefix(lines[3], "Object ") {
		t.Fatalf("output %q", lines)
	}
	named := strings.TrimPrefix(lines[1], "    uri = ")
	if !strings.Contains(named, "PYRO:obj_") {
		t.Errorf("with a name server the daemon id is generated: %s", named)
	}
	d, err := ns.NameServer.List(context.Background(), nil, nil, nil, nil, nil)
	if err != nil || d.Len() != 2 {
		t.Fatalf("name server holds %v, %v", d, err)
	}
	if v, _ := d.Get("mythingy"); v != named {
		t.Errorf("mythingy -> %v, want %s", v, named)
	}
	pyrotest.Python(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, `import Pyro4
thing = Pyro4.Proxy("PYRONAME:mythingy@`+ns.URI.Location()+`")
print(thing.method(42))
`)
	if err != nil || out != "84\n" {
		t.Errorf("Pyro4 client: %q, %v", out, err)
	}
}

func TestServeSimpleErrors(t *testing.T) {
	ctx := context.Background()
	saved := broadcastTimeout
	broadcastTimeout = 20 * time.Millisecond // the search fails: keep it short
	defer func() { broadcastTimeout = saved }()
	cfg := testConfig(t)
	for _, tc := range []struct {
		name    string
		objects []Object
		opts    ServeSimpleOptions
		class   string
		msg     string
	}{
		{"no name server", []Object{{Obj: thing{}, Name: "x"}}, ServeSimpleOptions{Host: "127.0.0.1", NS: true, Config: cfg},
			pyval.ClassNamingError, "Failed to locate the nameserver"},
		{"duplicate name", []Object{{Obj: thing{}, Name: "x"}, {Obj: &thing{}, Name: "x"}}, ServeSimpleOptions{Host: "127.0.0.1", Config: cfg},
			pyval.ClassDaemonError, "an object or class is already registered with that id"},
	} {
		d, err := engine.New(engine.Options{Host: tc.opts.Host, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		tc.opts.Daemon = d
		err = ServeSimple(ctx, tc.objects, tc.opts)
		wantErr(t, tc.name, err, tc.class, tc.msg)
		if err := d.RequestLoop(nil); !errors.Is(err, engine.ErrClosed) {
			t.Errorf("%s: the daemon was not closed: %v", tc.name, err)
		}
	}
}
