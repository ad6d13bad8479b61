package engine_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
)

// tally records the oneway calls it gets and says when it has all.
type tally struct {
	mu   sync.Mutex
	got  []string
	want int
	all  chan struct{}
}

func (t *tally) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{Oneway: []string{"Note"}}
}

func (t *tally) Note(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.got = append(t.got, s)
	if len(t.got) == t.want {
		close(t.all)
	}
}

// Notes is what arrived so far, in the order it ran.
func (t *tally) Notes() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.got)
}

// TestPyro4OnewayCalls: a real Pyro4 client's oneway calls all run, on
// every server type, with ONEWAY_THREADED on (the queue and its workers)
// and off (in place). Off, each runs before the connection's next request,
// so the client's notes() already sees all of them, in order.
func TestPyro4OnewayCalls(t *testing.T) {
	pyrotest.Python(t)
	const n = 500
	for _, threaded := range []bool{true, false} {
		t.Run(fmt.Sprintf("threaded=%v", threaded), func(t *testing.T) {
			cfg := testConfig()
			cfg.OnewayThreaded = threaded
			d := newDaemon(t, engine.Options{Host: "127.0.0.1", Config: &cfg})
			obj := &tally{want: n, all: make(chan struct{})}
			uri, err := d.Register(obj, "tally", false)
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- d.RequestLoop(nil) }()
			defer func() {
				d.Shutdown()
				if err := <-done; err != nil {
					t.Errorf("RequestLoop: %v", err)
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := pyrotest.RunScript(t, ctx, "testdata/pyro4_oneways.py", []string{uri.String(), fmt.Sprint(n)}, "")
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-obj.all:
			case <-ctx.Done():
				t.Fatalf("%d of %d oneway calls ran", len(obj.Notes()), n)
			}
			want := make([]string, n)
			for i := range want {
				want[i] = fmt.Sprintf("n%d", i)
			}
			if !threaded && !slices.Equal(strings.Fields(out), want) {
				t.Errorf("ONEWAY_THREADED off: notes() saw %d notes, want all %d in order", len(strings.Fields(out)), n)
			}
			got := obj.Notes()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("ran %d distinct calls, want %d", len(slices.Compact(got)), n)
			}
		})
	}
}
