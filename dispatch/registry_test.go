package dispatch

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

var autoID = regexp.MustCompile(`^obj_[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}$`)

func wantDaemonError(t *testing.T, err error, msg string) {
	t.Helper()
	var e *pyval.Exception
	if !errors.As(err, &e) || e.Class != pyval.ClassDaemonError || e.Message() != msg {
		t.Fatalf("got %v, want DaemonError(%q)", err, msg)
	}
}

// hooked records its hooks.
type hooked struct {
	id           string
	host         Host
	unregistered int
}

func (h *hooked) PyroRegistered(id string, host Host) { h.id, h.host = id, host }
func (h *hooked) PyroUnregistered()                   { h.unregistered++ }
func (h *hooked) Ping()                               {}

type empty struct{}

func (*empty) Ping() {}

func TestRegister(t *testing.T) {
	host := &fakeHost{}
	r := NewRegistry(Options{Host: host, Logger: discardLogger()})
	host.r = r

	daemonObj := &hooked{}
	if _, err := r.Register(daemonObj, DaemonName, true); err != nil {
		t.Fatal(err)
	}
	a := &hooked{}
	id, err := r.Register(a, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !autoID.MatchString(id) {
		t.Errorf("generated id %q is not obj_ + uuid4 hex", id)
	}
	if a.id != id || a.host != Host(host) {
		t.Errorf("PyroRegistered got %q, %v", a.id, a.host)
	}
	if got, ok := r.IDOf(a); !ok || got != id {
		t.Errorf("IDOf = %q, %v", got, ok)
	}
	if got, ok := r.Lookup(id); !ok || got != a {
		t.Errorf("Lookup = %v, %v", got, ok)
	}

	_, err = r.Register(a, "other", false)
	wantDaemonError(t, err, "object or class already has a Pyro id")
	_, err = r.Register(&hooked{}, id, false)
	wantDaemonError(t, err, "an object or class is already registered with that id")

	b := &hooked{}
	if _, err := r.Register(b, "b", false); err != nil {
		t.Fatal(err)
	}
	// force replaces an id in place.
	c := &hooked{}
	if _, err := r.Register(c, id, true); err != nil {
		t.Fatal(err)
	}
	if got := r.Registered(); !reflect.DeepEqual(got, []string{DaemonName, id, "b"}) {
		t.Errorf("Registered() = %v", got)
	}
	if _, ok := r.IDOf(a); ok {
		t.Error("replaced object still has an id")
	}

	// The daemon's id and unknown ids are ignored.
	if err := r.Unregister(DaemonName); err != nil {
		t.Error(err)
	}
	if err := r.Unregister("unknown"); err != nil {
		t.Error(err)
	}
	wantDaemonError(t, r.Unregister(&hooked{}), "object isn't registered")
	if err := r.Unregister(b); err != nil {
		t.Fatal(err)
	}
	if b.unregistered != 1 {
		t.Error("PyroUnregistered not called")
	}
	if err := r.Unregister(id); err != nil {
		t.Fatal(err)
	}
	if got := r.Registered(); !reflect.DeepEqual(got, []string{DaemonName}) {
		t.Errorf("Registered() = %v", got)
	}
	// Unregistering by id frees the object too.
	if _, err := r.Register(c, "again", false); err != nil {
		t.Errorf("re-register after Unregister(id): %v", err)
	}

	_, err = r.Metadata("unknown")
	wantDaemonError(t, err, "unknown object")
	if _, err := r.Register(nil, "", false); !errors.Is(err, ErrNilObject) {
		t.Errorf("Register(nil) = %v", err)
	}
	if _, err := r.Register("text", "", false); err == nil {
		t.Error("Register(string) succeeded")
	}
	if err := r.Unregister(nil); err == nil {
		t.Error("Unregister(nil) succeeded")
	}
}

func TestRegisterWithoutIdentity(t *testing.T) {
	r := NewRegistry(Options{Logger: discardLogger()})
	// Distinct zero-size allocations may share an address: they must not
	// be taken for the same object.
	for _, id := range []string{"e1", "e2"} {
		if _, err := r.Register(&empty{}, id, false); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := r.IDOf(&empty{}); ok {
		t.Error("IDOf found a zero-size object")
	}
	// Values register, but have no identity.
	v := promDerived{b: 1}
	if _, err := r.Register(v, "v", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.IDOf(v); ok {
		t.Error("IDOf found a value")
	}
	wantDaemonError(t, r.Unregister(v), "object isn't registered")
	if got, err := call(r, nil, "v", "own", nil, nil); err != nil || got != 4 {
		t.Errorf("call on a value: %v, %v", got, err)
	}
}

func TestCallContextFilled(t *testing.T) {
	host := &fakeHost{}
	r := NewRegistry(Options{Host: host, RequireExpose: true, Logger: discardLogger()})
	host.r = r
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	cc := &CallContext{}
	if _, err := call(r, cc, "svc", "echo", []any{"x"}, nil); err != nil {
		t.Fatal(err)
	}
	if cc.ObjectID != "svc" || cc.Host != Host(host) {
		t.Errorf("CallContext ObjectID %q, Host %v", cc.ObjectID, cc.Host)
	}
}

// counted is a class whose instances are counted.
type counted struct {
	n      int
	id     string
	closed *atomic.Int32
}

func (c *counted) Num() int                         { return c.n }
func (c *counted) RegID() string                    { return c.id }
func (c *counted) Close() error                     { c.closed.Add(1); return nil }
func (c *counted) PyroRegistered(id string, _ Host) { c.id = id }
func (c *counted) PyroUnregistered()                { c.closed.Add(100) }

func countedClass(mode InstanceMode) (*Class, *atomic.Int32, *atomic.Int32) {
	var created, closed atomic.Int32
	return NewClass(mode, func(context.Context) (*counted, error) {
		return &counted{n: int(created.Add(1)), closed: &closed}, nil
	}), &created, &closed
}

func TestInstanceModes(t *testing.T) {
	num := func(t *testing.T, r *Registry, conn *Conn) any {
		t.Helper()
		got, err := call(r, &CallContext{Conn: conn}, "c", "num", nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	newReg := func(t *testing.T, cls *Class) *Registry {
		r := registered(t, cls, "c")
		if _, err := r.Metadata("c"); err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("session", func(t *testing.T) {
		cls, created, closed := countedClass(Session)
		r := newReg(t, cls)
		if created.Load() != 0 {
			t.Fatal("registration or metadata created an instance")
		}
		c1, c2 := r.NewConn(nil), r.NewConn(nil)
		if a, b := num(t, r, c1), num(t, r, c1); a != 1 || b != 1 {
			t.Fatalf("one connection got instances %v and %v", a, b)
		}
		if n := num(t, r, c2); n != 2 {
			t.Fatalf("second connection got instance %v", n)
		}
		if got, _ := call(r, &CallContext{Conn: c1}, "c", "reg_id", nil, nil); got != "c" {
			t.Fatalf("PyroRegistered told id %v", got)
		}
		c1.Close()
		if closed.Load() != 1 {
			t.Fatalf("closing the connection closed %d instances", closed.Load())
		}
		// Without a connection a session class serves per call.
		if n := num(t, r, nil); n != 3 || closed.Load() != 2 {
			t.Fatalf("connectionless call: instance %v, closed %d", n, closed.Load())
		}
	})
	t.Run("single", func(t *testing.T) {
		cls, created, closed := countedClass(Single)
		r := newReg(t, cls)
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := call(r, &CallContext{Conn: r.NewConn(nil)}, "c", "num", nil, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if created.Load() != 1 {
			t.Fatalf("single mode created %d instances", created.Load())
		}
		if err := r.Unregister("c"); err != nil {
			t.Fatal(err)
		}
		if closed.Load() != 100 {
			t.Fatalf("single instance not told it was unregistered (%d)", closed.Load())
		}
	})
	t.Run("percall", func(t *testing.T) {
		cls, created, closed := countedClass(PerCall)
		r := newReg(t, cls)
		conn := r.NewConn(nil)
		for i := 1; i <= 3; i++ {
			if n := num(t, r, conn); n != i {
				t.Fatalf("call %d got instance %v", i, n)
			}
		}
		if created.Load() != 3 || closed.Load() != 3 {
			t.Fatalf("created %d, closed %d", created.Load(), closed.Load())
		}
	})
	for _, tt := range []struct {
		name    string
		creator func(context.Context) (*counted, error)
		class   string
		message string
	}{
		{"creator error", func(context.Context) (*counted, error) { return nil, pyval.NewException("ValueError", "no instance") },
			pyval.ClassValueError, "no instance"},
		{"creator nil", func(context.Context) (*counted, error) { return nil, nil }, pyval.ClassTypeError, "instance creator returned nil"},
		{"creator panic", func(context.Context) (*counted, error) { panic("creator exploded") }, pyval.ClassRuntimeError, "panic: creator exploded"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, mode := range []InstanceMode{Session, Single, PerCall} {
				r := newReg(t, NewClass(mode, tt.creator))
				_, err := call(r, &CallContext{Conn: r.NewConn(nil)}, "c", "num", nil, nil)
				if e := exc(t, err); e.Class != tt.class || e.Message() != tt.message {
					t.Fatalf("%s: got %v", mode, e)
				}
			}
		})
	}
	t.Run("default creator", func(t *testing.T) {
		r := newReg(t, NewClass[Svc](PerCall, nil))
		if got, err := call(r, nil, "c", "add", []any{int64(1), int64(2)}, nil); err != nil || got != int64(3) {
			t.Fatalf("got %v, %v", got, err)
		}
	})
}

type closer struct {
	n    *int
	data []int // makes the type incomparable
}

func (c closer) Close() error { *c.n++; return nil }

func TestConnTrack(t *testing.T) {
	r := NewRegistry(Options{Logger: discardLogger()})
	conn := r.NewConn(nil)
	var a, b, inc int
	ca, cb := &closerPtr{n: &a}, &closerPtr{n: &b}
	conn.Track(ca)
	conn.Track(ca) // tracked once
	conn.Track(cb)
	conn.Untrack(cb)
	// An incomparable closer must not panic; it cannot be found again to
	// untrack, so it is closed with the connection.
	conn.Track(closer{n: &inc})
	conn.Untrack(closer{n: &inc})
	conn.Close()
	if a != 1 || b != 0 || inc != 1 {
		t.Fatalf("closed a=%d b=%d incomparable=%d", a, b, inc)
	}
	conn.Track(cb)
	if b != 1 {
		t.Fatal("tracking on a closed connection did not close at once")
	}
}

type closerPtr struct{ n *int }

func (c *closerPtr) Close() error { *c.n++; return nil }

func TestReplacer(t *testing.T) {
	host := &fakeHost{}
	r := NewRegistry(Options{Host: host, Autoproxy: true, RequireExpose: true, Logger: discardLogger()})
	host.r = r
	child := &Svc{}
	if _, err := r.Register(child, "child", false); err != nil {
		t.Fatal(err)
	}
	cls, _, _ := countedClass(Session)
	if _, err := r.Register(cls, "cls", false); err != nil {
		t.Fatal(err)
	}
	rep := r.Replacer()
	md, _ := r.Metadata("child")
	got, ok := rep(child)
	want := pyval.ProxyRef{URI: pyval.MustParseURI("PYRO:child@localhost:9999"), Methods: md.Methods, Oneway: md.Oneway, Attrs: md.Attrs}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("replacer(child) = %#v, %v", got, ok)
	}
	if _, ok := rep(&Svc{}); ok {
		t.Error("an unregistered object of a registered type was replaced")
	}
	if got, ok := rep(&counted{}); !ok || got.(pyval.ProxyRef).URI.Object != "cls" {
		t.Errorf("instance of a registered class: %#v, %v", got, ok)
	}
	if _, ok := rep("text"); ok {
		t.Error("a string was replaced")
	}
	if NewRegistry(Options{Logger: discardLogger()}).Replacer() != nil {
		t.Error("Replacer without Autoproxy is not nil")
	}
	noHost := NewRegistry(Options{Autoproxy: true, Logger: discardLogger()})
	if _, err := noHost.Register(child, "child", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := noHost.Replacer()(child); ok {
		t.Error("replaced without a Host")
	}
}

// exposesObj has one method, published as ping.
type exposesObj struct{}

func (*exposesObj) Ping() {}

func TestExposes(t *testing.T) {
	r := registered(t, &exposesObj{}, "thing")
	for _, tc := range []struct {
		id, name string
		want     bool
	}{
		{"thing", "ping", true},
		{"thing", "<batch>", true},
		{"thing", "__getattr__", true},
		{"thing", "Ping", false},
		{"thing", "_private", false},
		{"thing", "__init__", false},
		{"thing", "Nope", false},
		{"other", "ping", false},
		{"other", "<batch>", false},
	} {
		if got := r.Exposes(tc.id, tc.name); got != tc.want {
			t.Errorf("Exposes(%q, %q) = %v, want %v", tc.id, tc.name, got, tc.want)
		}
	}
}
