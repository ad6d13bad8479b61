package dispatch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// svcBase is embedded in Svc: its methods are promoted, not declared.
type svcBase struct{ tag int }

func (svcBase) Inherited() string     { return "inherited" }
func (*svcBase) PtrInherited() string { return "ptr inherited" }

// Svc is the main test object: every signature shape Invoke supports.
type Svc struct {
	svcBase
	verbose bool
	hits    int
}

var svcOnly = []string{"Echo", "Add", "Fail", "Panic", "OnewayEcho", "Dunder", "Greet", "Opts",
	"Sum", "Pair", "Nothing", "Ctx", "Bytes", "Point", "Strs", "Int8"}

func (s *Svc) PyroExpose() Exposure {
	return Exposure{
		Only:   svcOnly,
		Names:  map[string]string{"Dunder": "__dunder__"},
		Oneway: []string{"OnewayEcho"},
		Attrs: map[string]Attr{
			"verbose": {Get: "Verbose", Set: "SetVerbose"},
			"hits":    {Get: "Hits"},
		},
		Params: map[string][]string{"Greet": {"name", "greeting="}, "Opts": {"a", "b"}},
		Hide:   []string{"Secret"},
	}
}

func (s *Svc) Echo(msg any) any      { s.hits++; return msg }
func (s *Svc) Add(a, b int) int      { return a + b }
func (s *Svc) OnewayEcho(msg string) {}
func (s *Svc) Dunder() string        { return "should be allowed (dunder)" }
func (s *Svc) Sum(nums ...int) int {
	n := 0
	for _, x := range nums {
		n += x
	}
	return n
}
func (s *Svc) Pair() (int, string)    { return 1, "one" }
func (s *Svc) Nothing()               {}
func (s *Svc) Bytes(b []byte) int     { return len(b) }
func (s *Svc) Strs(v []string) string { return strings.Join(v, ",") }
func (s *Svc) Int8(v int8) int8       { return v }
func (s *Svc) Point(p point) string   { return fmt.Sprintf("%d/%d/%s", p.X, p.Y, p.Label) }
func (s *Svc) Secret() string         { return "secret" }
func (s *Svc) Unlisted() string       { return "unlisted" }
func (s *Svc) Verbose() bool          { return s.verbose }
func (s *Svc) SetVerbose(v bool)      { s.verbose = v }
func (s *Svc) Hits() int              { return s.hits }
func (s *Svc) Panic()                 { panic("boom") }
func (s *Svc) Greet(name, greeting string) string {
	if greeting == "" {
		greeting = "hello"
	}
	return greeting + " " + name
}

func (s *Svc) Opts(a int, b string, kw Kwargs) string {
	keys := make([]string, 0, len(kw))
	for k, v := range kw {
		keys = append(keys, fmt.Sprintf("%s=%v", k, v))
	}
	return fmt.Sprintf("%d %s %v nil=%v", a, b, strings.Join(sortStrings(keys), ","), kw == nil)
}

func (s *Svc) Ctx(ctx context.Context) (string, error) {
	cc, ok := FromContext(ctx)
	if !ok {
		return "", errors.New("no call context")
	}
	return cc.ObjectID, nil
}

var errPlain = errors.New("plain failure")

func (s *Svc) Fail(kind string) error {
	switch kind {
	case "value":
		return pyval.NewException("ValueError", "bad value")
	case "wrapped":
		return fmt.Errorf("loading: %w", pyval.NewException("ValueError", "bad value"))
	case "naming":
		return pyval.NewException("NamingError", "no such name")
	case "sentinel":
		return pyval.ErrValue
	case "deadline":
		return fmt.Errorf("slow: %w", context.DeadlineExceeded)
	case "notexist":
		_, err := os.Open("/nonexistent/gyro/dispatch/test")
		return err
	case "perm":
		return &fs.PathError{Op: "open", Path: "/x", Err: fs.ErrPermission}
	case "unsupported":
		return fmt.Errorf("frobnicate: %w", errors.ErrUnsupported)
	case "plain":
		return errPlain
	case "none":
		return nil
	}
	panic("unknown kind " + kind)
}

type point struct {
	X, Y  int
	Label string `pyro:"label"`
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// Streamer returns streams of every supported kind.
type Streamer struct {
	stopped atomic.Int32 // seqs that ran their cleanup
	closed  atomic.Int32 // iterators closed
}

func (s *Streamer) Gen(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		defer s.stopped.Add(1)
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func (s *Streamer) Words() iter.Seq[any] {
	return func(yield func(any) bool) {
		for _, w := range []string{"one", "two", "three"} {
			if !yield(w) {
				return
			}
		}
	}
}

func (s *Streamer) Chan(n int) <-chan string {
	c := make(chan string, n)
	for i := range n {
		c <- fmt.Sprint("item", i)
	}
	close(c)
	return c
}

func (s *Streamer) AnyChan() chan any {
	c := make(chan any, 2)
	c <- "a"
	c <- int64(2)
	close(c)
	return c
}

func (s *Streamer) Dynamic() any { return s.Gen(2) }

func (s *Streamer) Iter(n int, fail bool) *countIter {
	return &countIter{n: n, fail: fail, closed: &s.closed}
}

func (s *Streamer) PanicSeq() iter.Seq[int] {
	return func(yield func(int) bool) { panic("seq exploded") }
}

func (s *Streamer) NilChan() chan int { return nil }

func (s *Streamer) Plain() []int { return []int{1, 2} }

type countIter struct {
	i, n   int
	fail   bool
	closed *atomic.Int32
}

func (c *countIter) Next() (any, bool) {
	if c.i >= c.n {
		return nil, false
	}
	c.i++
	return c.i, true
}

func (c *countIter) Err() error {
	if c.fail {
		return pyval.NewException("IOError", "iterator failed")
	}
	return nil
}

func (c *countIter) Close() error { c.closed.Add(1); return nil }

// exc asserts err is a *pyval.Exception with a traceback and returns it.
func exc(t *testing.T, err error) *pyval.Exception {
	t.Helper()
	e, ok := err.(*pyval.Exception)
	if !ok {
		t.Fatalf("error %v (%T) is not a *pyval.Exception", err, err)
	}
	tb, ok := e.Attributes.Get("_pyroTraceback")
	lines, isList := tb.([]any)
	if !ok || !isList || len(lines) < 2 || lines[0] != "Traceback (most recent call last):\n" {
		t.Fatalf("exception %v has no proper _pyroTraceback: %#v", e, tb)
	}
	return e
}

// call is a shorthand for Invoke.
func call(r *Registry, cc *CallContext, obj, method string, args []any, kwargs *pyval.Dict) (any, error) {
	return r.Invoke(context.Background(), cc, &serial.Call{Object: obj, Method: method, Args: args, Kwargs: kwargs})
}

// fakeHost builds URIs on a fixed location.
type fakeHost struct{ r *Registry }

func (h fakeHost) Register(obj any, id string, force bool) (pyval.URI, error) {
	id, err := h.r.Register(obj, id, force)
	if err != nil {
		return pyval.URI{}, err
	}
	return h.URIFor(id)
}
func (h fakeHost) Unregister(objOrID any) error { return h.r.Unregister(objOrID) }
func (h fakeHost) URIFor(objOrID any) (pyval.URI, error) {
	id, ok := objOrID.(string)
	if !ok {
		if id, ok = h.r.IDOf(objOrID); !ok {
			return pyval.URI{}, pyval.NewException(pyval.ClassDaemonError, "object isn't registered in this daemon")
		}
	}
	return pyval.URI{Protocol: "PYRO", Object: id, Host: "localhost", Port: 9999}, nil
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// registered returns a registry with default options and obj registered
// as id.
func registered(tb testing.TB, obj any, id string) *Registry {
	tb.Helper()
	r := NewRegistry(Options{Logger: discardLogger()})
	if _, err := r.Register(obj, id, false); err != nil {
		tb.Fatal(err)
	}
	return r
}

func (s *Streamer) Blocking() chan int { return make(chan int) }
