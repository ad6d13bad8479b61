package engine_test

import (
	"context"
	"reflect"
	"sync"
	"testing"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestBatchIsOneCall: a batch is answered in one RESULT with FlagBatch,
// as Pyro4's daemon does (an exception without it),
// a failing entry ends it, a bad name fails it whole, and interceptors
// see each batch as one call of "<batch>" with Batch set.
func TestBatchIsOneCall(t *testing.T) {
	rec := newRecorder()
	d := startCalc(t, func(o *engine.Options) { o.Interceptors = []engine.Interceptor{rec.interceptor()} })
	c := dialRaw(t, d)
	c.handshake("calc")
	add := func(a, b any) pyval.Tuple { return pyval.Tuple{"add", pyval.Tuple{a, b}, pyval.NewDict(0)} }
	batch := func(entries ...any) (*wire.Message, []any) {
		t.Helper()
		c.seq++
		data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "<batch>", Args: entries, KwargsNone: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.send(&wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagBatch, Seq: c.seq, SerializerID: serial.IDSerpent, Data: data})
		m := c.recv()
		// as Pyro4's daemon: FlagBatch on results, not on an exception
		if m.Seq != c.seq || (m.Flags&wire.FlagBatch != 0) == (m.Flags&wire.FlagException != 0) {
			t.Fatalf("reply seq %d flags %v, want seq %d with FlagBatch or FlagException", m.Seq, m.Flags, c.seq)
		}
		v, err := serial.Serpent.Unmarshal(m.Data)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := v.([]any)
		return m, l
	}
	if m, res := batch(add(int64(1), int64(2)), add(int64(3), int64(4))); m.Flags&wire.FlagException != 0 || len(res) != 2 || res[0] != int64(3) || res[1] != int64(7) {
		t.Fatalf("batch = %#v", res)
	}
	if m, res := batch(add(int64(1), int64(2)), add("x", int64(1)), add(int64(3), int64(4))); m.Flags&wire.FlagException != 0 || len(res) != 2 || res[0] != int64(3) {
		t.Fatalf("batch with a failing entry = %#v", res)
	}
	if m, _ := batch(add(int64(1), int64(2)), pyval.Tuple{"nope", pyval.Tuple{}, pyval.NewDict(0)}); m.Flags&wire.FlagException == 0 {
		t.Fatal("a batch with an unknown name did not fail")
	}
	c.nc.Close()
	_, _, events := rec.snapshot()
	rec.waitClosed(t, events[0].Info.ID)
	infos, stats, _ := rec.snapshot()
	if len(infos) != 3 {
		t.Fatalf("%d calls reported, want 3", len(infos))
	}
	for i, in := range infos {
		if in.Object != "calc" || in.Method != "<batch>" || !in.Batch || in.Oneway {
			t.Errorf("call %d: %+v, want one calc.<batch> with Batch", i, in)
		}
	}
	if stats[0].Err != nil || stats[1].Err != nil || stats[2].ErrorClass != pyval.ClassAttributeError {
		t.Errorf("errors reported %v, %v, %q; want none, none and an AttributeError", stats[0].Err, stats[1].Err, stats[2].ErrorClass)
	}
}

// TestBatchResultsStayWithInterceptor: the results an interceptor's Call
// gets from next are its own to keep, after the session has moved on.
func TestBatchResultsStayWithInterceptor(t *testing.T) {
	var mu sync.Mutex
	var kept []any
	keep := engine.Interceptor{Call: func(ctx context.Context, info *engine.CallInfo, next engine.CallHandler) (any, error) {
		res, err := next(ctx)
		if info.Batch {
			mu.Lock()
			kept = append(kept, res)
			mu.Unlock()
		}
		return res, err
	}}
	d := startCalc(t, func(o *engine.Options) { o.Interceptors = []engine.Interceptor{keep} })
	c := dialRaw(t, d)
	c.handshake("calc")
	for i := range int64(2) {
		c.seq++
		data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "<batch>", KwargsNone: true, Args: []any{
			pyval.Tuple{"add", pyval.Tuple{i, int64(1)}, pyval.NewDict(0)}}}, nil)
		c.send(&wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagBatch, Seq: c.seq, SerializerID: serial.IDSerpent, Data: data})
		if m := c.recv(); m.Flags&wire.FlagException != 0 {
			t.Fatalf("batch %d failed: %q", i, m.Data)
		}
	}
	c.nc.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(kept) != 2 || !reflect.DeepEqual(kept[0], []any{int64(1)}) || !reflect.DeepEqual(kept[1], []any{int64(2)}) {
		t.Fatalf("kept results %#v, want [1] and [2]", kept)
	}
}
