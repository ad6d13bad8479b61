package naming

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
	bolt "go.etcd.io/bbolt"
)

// newTestNS returns a name server on st with a few registrations.
func newTestNS(t *testing.T, st Storage) *NameServer {
	t.Helper()
	ns := NewNameServer(st)
	ctx := context.Background()
	for _, r := range []struct {
		name, uri string
		meta      any
	}{
		{NameServerName, "PYRO:Pyro.NameServer@localhost:9090", pyval.Set{NameServerClassTag}},
		{"a.one", "PYRO:o1@localhost:5001", nil},
		{"a.two", "PYRO:o2@localhost:5002", []any{"m1", "m2"}},
		{"b.three", "PYRO:o3@localhost:5003", pyval.Tuple{"m2"}},
	} {
		if err := ns.Register(ctx, r.name, r.uri, false, r.meta); err != nil {
			t.Fatal(err)
		}
	}
	return ns
}

// wantErr checks err is an exception of class with exactly msg (or a
// message starting with msg when it ends in "...").
func wantErr(t *testing.T, what string, err error, class, msg string) {
	t.Helper()
	var exc *pyval.Exception
	if !errors.As(err, &exc) {
		t.Errorf("%s: error %v, want %s(%q)", what, err, class, msg)
		return
	}
	got := exc.Message()
	if ce, ok := err.(*classError); ok {
		got = ce.exc.Message()
	}
	match := got == msg
	if p, ok := strings.CutSuffix(msg, "..."); ok {
		match = strings.HasPrefix(got, p)
	}
	if exc.Class != class || !match {
		t.Errorf("%s: %s(%q), want %s(%q)", what, exc.Class, got, class, msg)
	}
}

func listNames(t *testing.T, ns *NameServer) []string {
	t.Helper()
	d, err := ns.List(context.Background(), nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range d.Items() {
		out = append(out, it.Key.(string))
	}
	return out
}

// TestNameServerBadInput covers the errors of every method, in Pyro4's
// classes and words (and gyro's name checks).
func TestNameServerBadInput(t *testing.T) {
	ctx := context.Background()
	ns := newTestNS(t, nil)
	long := strings.Repeat("n", MaxNameLen+1)
	for _, tc := range []struct {
		name  string
		call  func() error
		class string
		msg   string
	}{
		{"register empty name", func() error { return ns.Register(ctx, "", "PYRO:a@b:1", nil, nil) }, pyval.ClassNamingError, "invalid name: the name is empty"},
		{"register long name", func() error { return ns.Register(ctx, long, "PYRO:a@b:1", nil, nil) }, pyval.ClassNamingError, "invalid name: 1025 bytes long, at most 1024 allowed"},
		{"register int name", func() error { return ns.Register(ctx, int64(1), "PYRO:a@b:1", nil, nil) }, pyval.ClassTypeError, "name must be a str"},
		{"register bad uri", func() error { return ns.Register(ctx, "x", "PYRO:x", nil, nil) }, pyval.ClassPyroError, "invalid uri"},
		{"register no port", func() error { return ns.Register(ctx, "x", "PYRO:x@h", nil, nil) }, pyval.ClassPyroError, "invalid port in uri, port=None"},
		{"register bad port", func() error { return ns.Register(ctx, "x", "PYRO:x@h:p", nil, nil) }, pyval.ClassPyroError, "invalid port in uri, port=p"},
		{"register bad protocol", func() error { return ns.Register(ctx, "x", "PYROX:x@h:1", nil, nil) }, pyval.ClassPyroError, "invalid uri (protocol)"},
		{"register uri type", func() error { return ns.Register(ctx, "x", []byte("PYRO:x@h:1"), nil, nil) }, pyval.ClassTypeError, "only URIs or strings can be registered"},
		{"register str metadata", func() error { return ns.Register(ctx, "x", "PYRO:x@h:1", nil, "tag") }, pyval.ClassTypeError, "metadata should not be a str, but another iterable (set, list, etc)"},
		{"register int metadata", func() error { return ns.Register(ctx, "x", "PYRO:x@h:1", nil, int64(3)) }, pyval.ClassTypeError, "'int' object is not iterable"},
		{"register int tag", func() error { return ns.Register(ctx, "x", "PYRO:x@h:1", nil, []any{int64(3)}) }, pyval.ClassTypeError, "metadata tags must be str, not int"},
		{"register safe dup", func() error { return ns.Register(ctx, "a.one", "PYRO:x@h:1", true, nil) }, pyval.ClassNamingError, "name already registered: a.one"},
		{"lookup unknown", func() error { _, err := ns.Lookup(ctx, "nope", nil); return err }, pyval.ClassNamingError, "unknown name: nope"},
		{"lookup empty", func() error { _, err := ns.Lookup(ctx, "", nil); return err }, pyval.ClassNamingError, "unknown name: "},
		{"lookup int", func() error { _, err := ns.Lookup(ctx, int64(1), nil); return err }, pyval.ClassTypeError, `can only concatenate str (not "int") to str`},
		{"list invalid regex", func() error { _, err := ns.List(ctx, nil, "[", nil, nil, nil); return err }, pyval.ClassNamingError, "invalid regex: unterminated character set at position 0"},
		{"list lookahead", func() error { _, err := ns.List(ctx, nil, "a(?=b)", nil, nil, nil); return err }, pyval.ClassNamingError, "invalid regex: look-ahead and look-behind are not supported..."},
		{"list go-only error", func() error { _, err := ns.List(ctx, nil, "a**", nil, nil, nil); return err }, pyval.ClassNamingError, "invalid regex: invalid nested repetition operator..."},
		{"list two filters", func() error { _, err := ns.List(ctx, "a", "b", nil, nil, nil); return err }, pyval.ClassValueError, "you can only filter on one thing at a time"},
		{"list str metadata_any", func() error { _, err := ns.List(ctx, nil, nil, nil, "m1", nil); return err }, pyval.ClassTypeError, "metadata_any should not be a str, but another iterable (set, list, etc)"},
		{"remove invalid regex", func() error { _, err := ns.Remove(ctx, nil, nil, "("); return err }, pyval.ClassNamingError, "invalid regex: missing closing )..."},
		{"set_metadata unknown", func() error { return ns.SetMetadata(ctx, "nope", nil) }, pyval.ClassNamingError, "unknown name: nope"},
		{"set_metadata str", func() error { return ns.SetMetadata(ctx, "a.one", "x") }, pyval.ClassTypeError, "metadata should not be a str, but another iterable (set, list, etc)"},
	} {
		wantErr(t, tc.name, tc.call(), tc.class, tc.msg)
	}
	if got, want := listNames(t, ns), []string{NameServerName, "a.one", "a.two", "b.three"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the bad calls: %q, want %q", got, want)
	}
}

// TestNameServerSemantics checks results in the shapes Pyro4 sends.
func TestNameServerSemantics(t *testing.T) {
	ctx := context.Background()
	for kind, st := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			ns := newTestNS(t, st)
			v, err := ns.Lookup(ctx, "a.two", true)
			want := pyval.Tuple{pyval.MustParseURI("PYRO:o2@localhost:5002"), []any{"m1", "m2"}}
			if err != nil || !pyval.Equal(v, want) {
				t.Errorf("lookup(a.two, True) = %v, %v", v, err)
			}
			d, err := ns.List(ctx, "a.", nil, nil, nil, true)
			wantD := pyval.DictOf("a.one", pyval.Tuple{"PYRO:o1@localhost:5001", []any{}}, "a.two", pyval.Tuple{"PYRO:o2@localhost:5002", []any{"m1", "m2"}})
			if err != nil || !pyval.Equal(d, wantD) {
				t.Errorf("list(prefix='a.', return_metadata=True) = %v, %v", d, err)
			}
			for _, tc := range []struct {
				what                      string
				prefix, regex, mAll, mAny any
				want                      []string
			}{
				{"regex anchored at start only", nil, "a", nil, nil, []string{"a.one", "a.two"}},
				{"regex", nil, `.*\.t`, nil, nil, []string{"a.two", "b.three"}},
				{"metadata_all", nil, nil, pyval.Set{"m1", "m2"}, nil, []string{"a.two"}},
				{"metadata_all int", nil, nil, []any{"m2", int64(1)}, nil, nil},
				{"metadata_any", nil, nil, nil, []any{"m2", "zz", int64(1)}, []string{"a.two", "b.three"}},
				{"empty filter", "", nil, nil, nil, []string{NameServerName, "a.one", "a.two", "b.three"}},
				{"prefix tuple", pyval.Tuple{"b", "a.o"}, nil, nil, nil, []string{"a.one", "b.three"}},
			} {
				d, err := ns.List(ctx, tc.prefix, tc.regex, tc.mAll, tc.mAny, nil)
				var got []string
				for _, it := range d.Items() {
					got = append(got, it.Key.(string))
				}
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: %q, %v; want %q", tc.what, got, err, tc.want)
				}
			}
			for _, tc := range []struct {
				what                string
				name, prefix, regex any
				want                int
			}{
				{"the name server itself", NameServerName, nil, nil, 0},
				{"prefix sparing the name server", nil, "Pyro", nil, 0},
				{"name", "a.one", nil, nil, 1},
				{"unknown name, then prefix", "nope", "a.", nil, 1},
				{"regex", nil, nil, ".*", 1},
			} {
				n, err := ns.Remove(ctx, tc.name, tc.prefix, tc.regex)
				if err != nil || n != tc.want {
					t.Errorf("remove %s = %d, %v; want %d", tc.what, n, err, tc.want)
				}
			}
			if n, err := ns.Count(ctx); n != 1 || err != nil {
				t.Errorf("count = %d, %v; want 1 (the name server)", n, err)
			}
		})
	}
}

// failingStore simulates a full disk: every write fails.
type failingStore struct {
	Storage
	err error
}

func (f failingStore) Set(context.Context, Registration) error { return f.err }
func (f failingStore) SetMetadata(context.Context, string, []string) (bool, error) {
	return false, f.err
}
func (f failingStore) Delete(context.Context, ...string) (int, error) { return 0, f.err }

// TestFailingStoreLosesNothing: every write on a failing store is a
// NamingError wrapping the cause, and every earlier registration stays.
func TestFailingStoreLosesNothing(t *testing.T) {
	ctx := context.Background()
	base := newTestNS(t, nil).Storage()
	readonly := func(t *testing.T) Storage {
		path := filepath.Join(t.TempDir(), "ro.db")
		w, err := OpenBolt(path, BoltOptions{})
		if err != nil {
			t.Fatal(err)
		}
		newTestNS(t, w)
		w.Close()
		ro, err := OpenBolt(path, BoltOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ro.Close() })
		return ro
	}
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) Storage
		cause error
		msg   string
	}{
		{"full disk", func(*testing.T) Storage { return failingStore{base, syscall.ENOSPC} }, syscall.ENOSPC, "no space left on device"},
		{"read-only bolt", readonly, bolt.ErrDatabaseReadOnly, "database is in read-only mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := NewNameServer(tc.store(t))
			before := listNames(t, ns)
			for what, err := range map[string]error{
				"set":          ns.Register(ctx, "new", "PYRO:n@h:1", nil, nil),
				"set ":         ns.Register(ctx, "a.one", "PYRO:n@h:1", nil, nil),
				"set_metadata": ns.SetMetadata(ctx, "a.one", []any{"x"}),
				"delete":       func() error { _, err := ns.Remove(ctx, "a.one", nil, nil); return err }(),
				"delete ":      func() error { _, err := ns.Remove(ctx, nil, "a", nil); return err }(),
			} {
				wantErr(t, what, err, pyval.ClassNamingError, "storage error in "+strings.TrimSpace(what)+": "+tc.msg)
				if !errors.Is(err, tc.cause) || !errors.Is(err, pyval.ErrNaming) {
					t.Errorf("%s: %v does not wrap %v and NamingError", what, err, tc.cause)
				}
			}
			if after := listNames(t, ns); !reflect.DeepEqual(after, before) {
				t.Errorf("registrations changed: %q, were %q", after, before)
			}
			if v, err := ns.Lookup(ctx, "a.one", nil); err != nil || v.(pyval.URI).String() != "PYRO:o1@localhost:5001" {
				t.Errorf("lookup after failures = %v, %v", v, err)
			}
		})
	}
}

// TestClosedBoltOverTheWire closes the bolt file under a serving name
// server: a Go client gets NamingError for every call, and the file still
// holds everything when reopened.
func TestClosedBoltOverTheWire(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ns.db")
	n := startNS(t, func(o *NSOptions) { o.Storage = "bolt:" + path })
	p := testProxy(t, n.URI, proxy.Options{})
	defer p.Close()
	if _, err := p.Call(ctx, "register", "kept", "PYRO:k@h:1"); err != nil {
		t.Fatal(err)
	}
	n.NameServer.Storage().(*BoltStorage).DB().Close()
	for _, call := range []struct {
		method string
		args   []any
		op     string
	}{
		{"register", []any{"lost", "PYRO:l@h:1"}, "set"},
		{"lookup", []any{"kept"}, "get"},
		{"list", nil, "list"},
		{"count", nil, "count"},
		{"remove", []any{"kept"}, "get"},
	} {
		_, err := p.Call(ctx, call.method, call.args...)
		wantErr(t, call.method, err, pyval.ClassNamingError, "storage error in "+call.op+": database not open")
	}
	st, err := OpenBolt(path, BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	regs, err := st.List(ctx, "")
	if got := names(regs); err != nil || !reflect.DeepEqual(got, []string{NameServerName, "kept"}) {
		t.Errorf("reopened store holds %q, %v", got, err)
	}
}

// TestNameServerExposure checks the remote interface a Pyro4 client sees:
// the seven methods, nothing oneway, no attributes, in both exposure modes.
func TestNameServerExposure(t *testing.T) {
	for _, require := range []bool{false, true} {
		cfg := testConfig(t)
		cfg.RequireExpose = require
		d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Register(NewNameServer(nil), NameServerName, false); err != nil {
			t.Fatal(err)
		}
		// each generation sees its own name server's methods
		for _, tc := range []struct {
			protocol int
			want     []string
		}{
			{wire.Pyro4, []string{"count", "list", "lookup", "ping", "register", "remove", "set_metadata"}},
			{wire.Pyro5, []string{"count", "list", "lookup", "ping", "register", "remove", "set_metadata", "yplookup"}},
		} {
			md, err := d.Registry().MetadataFor(NameServerName, tc.protocol)
			if err != nil || !reflect.DeepEqual(md.Methods, tc.want) || len(md.Oneway) != 0 || len(md.Attrs) != 0 {
				t.Errorf("REQUIRE_EXPOSE=%v, protocol %d: metadata %+v, %v", require, tc.protocol, md, err)
			}
		}
		d.Close()
	}
}

// TestParseURI checks the Pyro4 URI rules the name server validates with.
func TestParseURI(t *testing.T) {
	for _, tc := range []struct {
		in, out, err string
	}{
		{"PYRO:obj@host:5000", "PYRO:obj@host:5000", ""},
		{"pyro:obj@host:5000\n", "PYRO:obj@host:5000", ""},
		{"PYRO:a@b@h:1", "PYRO:a@b@h:1", ""},
		{"PYRO:obj@./u:/tmp/s", "PYRO:obj@./u:/tmp/s", ""},
		{"PYRO:obj@[::1]:5000", "PYRO:obj@[::1]:5000", ""},
		{"PYRO:obj@[::1]:5000junk", "PYRO:obj@[::1]:5000", ""},
		{"PYRONAME:n", "PYRONAME:n", ""},
		{"PYRONAME:n@h", "PYRONAME:n@h:9090", ""},
		{"PYROMETA:b,a@h:1", "PYROMETA:a,b@h:1", ""},
		{"PYRO:obj@h: 12", "PYRO:obj@h:12", ""},
		{"PYRO:obj@h:1:2", "", "invalid port in uri, port=1:2"},
		{"PYRO:obj@[zz]:1", "", "invalid ipv6 address: the part between brackets must be a numeric ipv6 address"},
		{"PYRO:@h:1", "", "invalid uri"},
		{"PYRO:o\tx@h:1", "", "invalid uri"},
		{"PYRO:o@h:1\n\n", "", "invalid uri"},
		{"http:x@h:1", "", "invalid uri"},
		{"PYROX:x@h:1", "", "invalid uri (protocol)"},
	} {
		u, err := parseURI(tc.in)
		if tc.err != "" {
			wantErr(t, tc.in, err, pyval.ClassPyroError, tc.err)
			continue
		}
		if err != nil || u.String() != tc.out {
			t.Errorf("parseURI(%q) = %s, %v; want %s", tc.in, u, err, tc.out)
		}
	}
}
