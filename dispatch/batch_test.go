package dispatch

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// TestInvokeBatchAsBatch: InvokeBatch, which runs batches decoded straight
// into calls, gives what Invoke's "<batch>" gives for the same entries:
// the same results, the same exception ending the batch or failing it
// whole, the same methods run.
func TestInvokeBatchAsBatch(t *testing.T) {
	e := func(m string, args ...any) pyval.Tuple { return pyval.Tuple{m, pyval.Tuple(args), pyval.NewDict(0)} }
	batches := map[string][]pyval.Tuple{
		"empty":         {},
		"success":       {e("echo", int64(1)), e("add", int64(1), int64(2)), {"greet", pyval.Tuple{}, pyval.DictOf("name", "kw")}, e("nothing"), e("pair")},
		"method raises": {e("echo", int64(1)), e("fail", "value"), e("echo", int64(3))},
		"panic":         {e("echo", int64(1)), e("panic"), e("echo", int64(3))},
		"bad arguments": {e("echo", int64(1)), e("add", "x", int64(1)), e("echo", int64(3))},
		"missing":       {e("echo", int64(1)), e("add"), e("echo", int64(3))},
		"bad kwarg":     {e("echo", int64(1)), {"greet", pyval.Tuple{}, pyval.DictOf("nope", "kw")}, e("echo", int64(3))},
		"None kwargs":   {e("echo", int64(1)), {"echo", pyval.Tuple{int64(2)}, nil}, e("echo", int64(3))},
		"unknown name":  {e("echo", int64(1)), e("nope"), e("echo", int64(3))},
		"private name":  {e("echo", int64(1)), e("_x"), e("echo", int64(3))},
		"special name":  {e("echo", int64(1)), e("__getattr__", "hits")},
		"attribute":     {e("echo", int64(1)), e("hits"), e("echo", int64(3))},
		"None attr":     {e("echo", int64(1)), {"hits", pyval.Tuple{}, nil}},
		"repeated":      {e("echo", int64(1)), e("echo", int64(2)), e("add", int64(1), int64(2)), e("add", int64(3), int64(4)), e("echo", int64(5)), e("hits"), e("hits")},
	}
	for _, expose := range []bool{true, false} {
		r := NewRegistry(Options{RequireExpose: expose, Logger: discardLogger()})
		svc := &Svc{}
		if _, err := r.Register(svc, "svc", false); err != nil {
			t.Fatal(err)
		}
		for name, entries := range batches {
			checkBatchAsBatch(t, fmt.Sprintf("expose %v, %s", expose, name), r, "svc", entries, func() int { return svc.hits })
		}
	}
	r := NewRegistry(Options{Logger: discardLogger()})
	_, werr := call(r, nil, "none", serial.MethodBatch, nil, nil)
	_, gerr := r.InvokeBatch(context.Background(), nil, &serial.Batch{Object: "none"}, nil)
	if werr == nil || !sameException(t, werr, gerr) {
		t.Errorf("unknown object: %v, want %v", gerr, werr)
	}
}

// checkBatchAsBatch runs entries on obj through Invoke's "<batch>" and
// through InvokeBatch and fails t where the results, the exceptions or,
// with ran, the number of calls run differ.
func checkBatchAsBatch(t *testing.T, label string, r *Registry, obj string, entries []pyval.Tuple, ran func() int) {
	t.Helper()
	raw := make([]any, len(entries))
	b := &serial.Batch{Object: obj}
	for i, en := range entries {
		raw[i] = en
		c := serial.Call{Method: en[0].(string), Args: en[1].(pyval.Tuple)}
		if kw, ok := en[2].(*pyval.Dict); ok {
			if kw.Len() > 0 {
				c.Kwargs = kw
			}
		} else {
			c.KwargsNone = true
		}
		b.Calls = append(b.Calls, c)
	}
	if ran == nil {
		ran = func() int { return 0 }
	}
	before := ran()
	want, werr := call(r, nil, obj, serial.MethodBatch, raw, nil)
	wantRan := ran() - before
	before = ran()
	got, gerr := r.InvokeBatch(context.Background(), nil, b, nil)
	if ran()-before != wantRan {
		t.Errorf("%s: %d calls ran, want %d", label, ran()-before, wantRan)
	}
	if werr != nil || gerr != nil {
		if !sameException(t, werr, gerr) {
			t.Errorf("%s: error %v, want %v", label, gerr, werr)
		}
		return
	}
	wl := want.([]any)
	if len(got) != len(wl) {
		t.Fatalf("%s: results %#v, want %#v", label, got, wl)
	}
	for i := range wl {
		ww, wexc := wl[i].(pyval.ExceptionWrapper)
		gw, gexc := got[i].(pyval.ExceptionWrapper)
		switch {
		case wexc != gexc:
			t.Errorf("%s: result %d is %#v, want %#v", label, i, got[i], wl[i])
		case wexc:
			if !sameException(t, ww.Exception, gw.Exception) {
				t.Errorf("%s: result %d raises %v, want %v", label, i, gw.Exception, ww.Exception)
			}
		case !reflect.DeepEqual(got[i], wl[i]):
			t.Errorf("%s: result %d is %#v, want %#v", label, i, got[i], wl[i])
		}
	}
}

// sameException reports whether two errors are the same Python exception
// (class and message).
func sameException(t *testing.T, a, b error) bool {
	t.Helper()
	if a == nil || b == nil {
		return a == b
	}
	x, y := exc(t, a), exc(t, b)
	return x.Class == y.Class && x.Message() == y.Message()
}
