package dispatch

import (
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
)

// fakeClock is the registry's clock in stream tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func newStreamRegistry(t *testing.T, opts Options) (*Registry, *Streamer, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: t0}
	opts.Now, opts.Logger = clk.Now, discardLogger()
	r := NewRegistry(opts)
	s := &Streamer{}
	if _, err := r.Register(s, "s", false); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r, s, clk
}

var streamID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// start invokes a stream-returning method and returns the stream id.
func start(t *testing.T, r *Registry, conn *Conn, method string, args ...any) string {
	t.Helper()
	res, err := call(r, &CallContext{Conn: conn}, "s", method, args, nil)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	st, ok := res.(StreamStarted)
	if !ok || !streamID.MatchString(st.ID) {
		t.Fatalf("%s returned %#v, want StreamStarted with a uuid4 id", method, res)
	}
	return st.ID
}

// drain pulls until the stream ends and checks it ended with StopIteration.
func drain(t *testing.T, r *Registry, conn *Conn, id string) []any {
	t.Helper()
	var items []any
	for range 100 {
		item, err := r.NextStreamItem(conn, id)
		if err != nil {
			e := exc(t, err)
			if e.Class != pyval.ClassStopIteration || len(e.Args) != 0 {
				t.Fatalf("stream ended with %v, want StopIteration()", e)
			}
			return items
		}
		items = append(items, item)
	}
	t.Fatal("stream does not end")
	return nil
}

func wantTerminated(t *testing.T, r *Registry, conn *Conn, id string) {
	t.Helper()
	_, err := r.NextStreamItem(conn, id)
	if e := exc(t, err); e.Class != pyval.ClassPyroError || e.Message() != "item stream terminated" {
		t.Fatalf("got %v, want PyroError('item stream terminated')", e)
	}
}

func TestStreamKinds(t *testing.T) {
	tests := []struct {
		method string
		args   []any
		want   []any
	}{
		{"gen", []any{int64(3)}, []any{0, 1, 2}},
		{"gen", []any{int64(0)}, nil},
		{"words", nil, []any{"one", "two", "three"}},
		{"chan", []any{int64(2)}, []any{"item0", "item1"}},
		{"any_chan", nil, []any{"a", int64(2)}},
		{"dynamic", nil, []any{0, 1}},
		{"iter", []any{int64(2), false}, []any{1, 2}},
	}
	r, s, _ := newStreamRegistry(t, Options{IterStreaming: true})
	conn := r.NewConn(nil)
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			id := start(t, r, conn, tt.method, tt.args...)
			if got := drain(t, r, conn, id); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("items %#v, want %#v", got, tt.want)
			}
			if n := r.StreamCount(); n != 0 {
				t.Fatalf("%d streams left after the end", n)
			}
			wantTerminated(t, r, conn, id)
		})
	}
	if n := s.stopped.Load(); n != 3 { // gen twice, dynamic once
		t.Errorf("gen cleanups ran %d times, want 3", n)
	}
	if n := s.closed.Load(); n != 1 {
		t.Errorf("iterator closed %d times, want 1", n)
	}
}

func TestStreamErrors(t *testing.T) {
	r, s, _ := newStreamRegistry(t, Options{IterStreaming: true})
	conn := r.NewConn(nil)

	t.Run("iterator error", func(t *testing.T) {
		id := start(t, r, conn, "iter", int64(1), true)
		if item, err := r.NextStreamItem(conn, id); err != nil || item != 1 {
			t.Fatalf("first item %v, %v", item, err)
		}
		_, err := r.NextStreamItem(conn, id)
		if e := exc(t, err); e.Class != "builtins.IOError" || e.Message() != "iterator failed" {
			t.Fatalf("got %v", e)
		}
		wantTerminated(t, r, conn, id)
	})
	t.Run("panic", func(t *testing.T) {
		id := start(t, r, conn, "panic_seq")
		_, err := r.NextStreamItem(conn, id)
		if e := exc(t, err); e.Class != pyval.ClassRuntimeError || e.Message() != "panic: seq exploded" {
			t.Fatalf("got %v", e)
		}
		wantTerminated(t, r, conn, id)
	})
	t.Run("unknown id", func(t *testing.T) {
		wantTerminated(t, r, conn, "no-such-stream")
	})
	t.Run("nil channel is None", func(t *testing.T) {
		res, err := call(r, &CallContext{Conn: conn}, "s", "nil_chan", nil, nil)
		if err != nil || res != nil || r.StreamCount() != 0 {
			t.Fatalf("got %#v, %v, %d streams", res, err, r.StreamCount())
		}
	})
	t.Run("slice is a value", func(t *testing.T) {
		res, err := call(r, &CallContext{Conn: conn}, "s", "plain", nil, nil)
		if err != nil || !reflect.DeepEqual(res, []int{1, 2}) {
			t.Fatalf("got %#v, %v", res, err)
		}
	})
	t.Run("in a batch", func(t *testing.T) {
		_, err := call(r, nil, "s", "<batch>", []any{pyval.Tuple{"gen", pyval.Tuple{int64(1)}, pyval.NewDict(0)}}, nil)
		if e := exc(t, err); e.Class != pyval.ClassSerializeError {
			t.Fatalf("got %v", e)
		}
		if r.StreamCount() != 0 {
			t.Fatal("a batch stored a stream")
		}
	})
	t.Run("oneway", func(t *testing.T) {
		before := s.closed.Load()
		res, err := call(r, &CallContext{Conn: conn, Flags: flagOneway}, "s", "iter", []any{int64(1), false}, nil)
		if err != nil || res != nil || r.StreamCount() != 0 {
			t.Fatalf("got %#v, %v, %d streams", res, err, r.StreamCount())
		}
		if s.closed.Load() != before+1 {
			t.Fatal("discarded iterator not closed")
		}
	})
}

func TestStreamingOff(t *testing.T) {
	r, s, _ := newStreamRegistry(t, Options{IterStreaming: false})
	res, err := call(r, nil, "s", "iter", []any{int64(1), false}, nil)
	if err != nil || res != (StreamStarted{}) {
		t.Fatalf("got %#v, %v; want StreamStarted{}", res, err)
	}
	if r.StreamCount() != 0 || s.closed.Load() != 1 {
		t.Fatalf("%d streams, iterator closed %d times", r.StreamCount(), s.closed.Load())
	}
}

func TestCloseStream(t *testing.T) {
	r, s, _ := newStreamRegistry(t, Options{IterStreaming: true})
	conn := r.NewConn(nil)
	id := start(t, r, conn, "gen", int64(5))
	if item, err := r.NextStreamItem(conn, id); err != nil || item != 0 {
		t.Fatalf("first item %v, %v", item, err)
	}
	r.CloseStream(id)
	r.CloseStream(id)      // again: silent
	r.CloseStream("other") // unknown: silent
	if s.stopped.Load() != 1 {
		t.Fatal("closing the stream did not stop the sequence")
	}
	wantTerminated(t, r, conn, id)
}

func TestStreamLinger(t *testing.T) {
	r, s, clk := newStreamRegistry(t, Options{IterStreaming: true, StreamLinger: 30 * time.Second})
	c1, c2 := r.NewConn(nil), r.NewConn(nil)
	adopted := start(t, r, c1, "gen", int64(3))
	abandoned := start(t, r, c1, "gen", int64(3))
	owned := start(t, r, c2, "gen", int64(3))
	// A sequence that never started has nothing to clean up; start it.
	if _, err := r.NextStreamItem(c1, abandoned); err != nil {
		t.Fatal(err)
	}

	clk.t = t0.Add(time.Second)
	c1.Close() // both c1 streams linger from t0+1s
	if r.StreamCount() != 3 {
		t.Fatalf("%d streams after close, want 3 lingering/owned", r.StreamCount())
	}
	r.Housekeep(t0.Add(31 * time.Second)) // exactly LINGER: kept
	if r.StreamCount() != 3 {
		t.Fatalf("%d streams at the linger limit", r.StreamCount())
	}
	// Any connection adopts a lingering stream by pulling from it.
	if item, err := r.NextStreamItem(c2, adopted); err != nil || item != 0 {
		t.Fatalf("adopting pull: %v, %v", item, err)
	}
	r.Housekeep(t0.Add(32 * time.Second))
	if r.StreamCount() != 2 {
		t.Fatalf("%d streams, want the adopted and the owned one", r.StreamCount())
	}
	wantTerminated(t, r, c2, abandoned)
	if s.stopped.Load() != 1 {
		t.Fatal("expired stream's sequence not stopped")
	}
	if got := drain(t, r, c2, adopted); !reflect.DeepEqual(got, []any{1, 2}) {
		t.Fatalf("adopted stream continued with %v", got)
	}
	if got := drain(t, r, c1, owned); !reflect.DeepEqual(got, []any{0, 1, 2}) {
		t.Fatalf("owned stream gave %v", got) // ids are not checked against the owner
	}
}

func TestStreamNoLinger(t *testing.T) {
	r, s, _ := newStreamRegistry(t, Options{IterStreaming: true})
	c1, c2 := r.NewConn(nil), r.NewConn(nil)
	gone := start(t, r, c1, "gen", int64(3))
	kept := start(t, r, c2, "gen", int64(3))
	if _, err := r.NextStreamItem(c1, gone); err != nil {
		t.Fatal(err)
	}
	c1.Close()
	c1.Close() // idempotent
	wantTerminated(t, r, c2, gone)
	if s.stopped.Load() != 1 {
		t.Fatal("dropped stream's sequence not stopped")
	}
	if _, err := r.NextStreamItem(c2, kept); err != nil {
		t.Fatal(err)
	}
}

func TestStreamLifetime(t *testing.T) {
	r, _, clk := newStreamRegistry(t, Options{IterStreaming: true, StreamLifetime: 10 * time.Second})
	conn := r.NewConn(nil)
	old := start(t, r, conn, "gen", int64(3))
	clk.t = t0.Add(5 * time.Second)
	young := start(t, r, conn, "gen", int64(3))
	// Pulling does not extend a lifetime: it counts from creation.
	if _, err := r.NextStreamItem(conn, old); err != nil {
		t.Fatal(err)
	}
	r.Housekeep(t0.Add(10 * time.Second))
	if r.StreamCount() != 2 {
		t.Fatalf("%d streams at the lifetime limit", r.StreamCount())
	}
	r.Housekeep(t0.Add(10*time.Second + 1))
	wantTerminated(t, r, conn, old)
	if _, err := r.NextStreamItem(conn, young); err != nil {
		t.Fatal(err)
	}
	r.Housekeep(t0.Add(15*time.Second + 1))
	wantTerminated(t, r, conn, young)
}

func TestRegistryCloseStreams(t *testing.T) {
	r, s, _ := newStreamRegistry(t, Options{IterStreaming: true})
	conn := r.NewConn(nil)
	gen := start(t, r, conn, "gen", int64(3))
	if _, err := r.NextStreamItem(conn, gen); err != nil {
		t.Fatal(err)
	}
	blocking := start(t, r, conn, "blocking")
	done := make(chan error, 1)
	go func() {
		_, err := r.NextStreamItem(conn, blocking)
		done <- err
	}()
	r.Close()
	// Whether the pull was waiting on the channel or had not begun, it
	// ends with the stream terminated.
	if e := exc(t, <-done); e.Message() != "item stream terminated" {
		t.Fatalf("blocked pull ended with %v", e)
	}
	if r.StreamCount() != 0 || s.stopped.Load() != 1 {
		t.Fatalf("%d streams left, %d sequences stopped", r.StreamCount(), s.stopped.Load())
	}
	wantTerminated(t, r, conn, gen)
}

// TestChannelPullEndsOnDrop checks the channel receive paths directly:
// a dropped stream's done channel wins over an empty channel.
func TestChannelPullEndsOnDrop(t *testing.T) {
	for _, v := range []any{make(chan int), make(chan any)} {
		s := newStream(v, nil)
		done := make(chan struct{})
		close(done)
		_, ok, err := s.next(done)
		if ok || err == nil || err.Error() != "PyroError: item stream terminated" {
			t.Errorf("%T: pull on a dropped stream = %v, %v", v, ok, err)
		}
	}
}
