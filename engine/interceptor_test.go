package engine_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// recorder is an interceptor that keeps what it saw.
type recorder struct {
	mu     sync.Mutex
	calls  []string // "object.method known outcome"
	stats  []engine.CallStats
	infos  []engine.CallInfo
	events []engine.ConnEvent
	closed chan uint64 // ids of closed connections
	done   chan string // methods of finished calls
}

func newRecorder() *recorder {
	return &recorder{closed: make(chan uint64, 16), done: make(chan string, 16)}
}

func (r *recorder) interceptor() engine.Interceptor {
	return engine.Interceptor{
		Call: func(ctx context.Context, info *engine.CallInfo, next engine.CallHandler) (any, error) {
			if info.Method == "forbidden" {
				return nil, pyval.NewException(pyval.ClassSecurityError, "not for you")
			}
			return next(ctx)
		},
		CallDone: func(info *engine.CallInfo, st *engine.CallStats) {
			r.mu.Lock()
			r.infos = append(r.infos, *info)
			r.stats = append(r.stats, *st)
			r.mu.Unlock()
			r.done <- info.Method
		},
		Conn: func(ev *engine.ConnEvent) {
			r.mu.Lock()
			r.events = append(r.events, *ev)
			r.mu.Unlock()
			if ev.Kind == engine.ConnClosed {
				r.closed <- ev.Info.ID
			}
		},
	}
}

// waitClosed waits for the connection with id to be reported closed.
func (r *recorder) waitClosed(t *testing.T, id uint64) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-r.closed:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("connection %d never reported closed", id)
		}
	}
}

func (r *recorder) snapshot() ([]engine.CallInfo, []engine.CallStats, []engine.ConnEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]engine.CallInfo(nil), r.infos...), append([]engine.CallStats(nil), r.stats...), append([]engine.ConnEvent(nil), r.events...)
}

func TestInterceptorSeesCallsAndConnections(t *testing.T) {
	rec := newRecorder()
	d := startCalc(t, func(o *engine.Options) { o.Interceptors = []engine.Interceptor{rec.interceptor()} })
	c := dialRaw(t, d)
	c.handshake("calc")
	if _, v := c.invoke("calc", "add", int64(1), int64(2)); v != int64(3) {
		t.Fatalf("add = %v", v)
	}
	if m, _ := c.invoke("calc", "nope"); m.Flags&wire.FlagException == 0 {
		t.Fatal("unknown method: no exception")
	}
	_, v := c.invoke("calc", "forbidden")
	if exc, ok := v.(*pyval.Exception); !ok || exc.Class != pyval.ClassSecurityError {
		t.Fatalf("the interceptor's error did not reach the client: %v", v)
	}
	c.nc.Write([]byte("this is not a pyro frame at all"))
	c.expectClosed()

	_, _, events := rec.snapshot()
	if len(events) == 0 || events[0].Kind != engine.ConnOpened {
		t.Fatalf("first event %+v, want ConnOpened", events)
	}
	id := events[0].Info.ID
	rec.waitClosed(t, id)

	infos, stats, events := rec.snapshot()
	want := []struct {
		method string
		known  bool
		class  string
	}{
		{"add", true, ""},
		{"nope", false, pyval.ClassAttributeError},
		{"forbidden", false, pyval.ClassSecurityError},
	}
	if len(infos) != len(want) {
		t.Fatalf("%d calls reported, want %d", len(infos), len(want))
	}
	for i, w := range want {
		in, st := infos[i], stats[i]
		if in.Object != "calc" || in.Method != w.method || in.Known != w.known || st.ErrorClass != w.class {
			t.Errorf("call %d: %s.%s known=%v class=%q, want calc.%s known=%v class=%q",
				i, in.Object, in.Method, in.Known, st.ErrorClass, w.method, w.known, w.class)
		}
		if (w.class == "") != (st.Err == nil) {
			t.Errorf("call %d: err %v with class %q", i, st.Err, w.class)
		}
		if in.Protocol != wire.ProtocolVersion || in.Session == nil || in.Session.ID != id || in.Conn == nil || in.Peer() == nil {
			t.Errorf("call %d: connection details missing: %+v", i, in)
		}
		if in.RequestBytes <= wire.HeaderSize || st.ResponseBytes <= wire.HeaderSize || st.Duration <= 0 {
			t.Errorf("call %d: sizes %d/%d, duration %v", i, in.RequestBytes, st.ResponseBytes, st.Duration)
		}
	}
	var kinds []engine.ConnEventKind
	for _, ev := range events {
		if ev.Info.ID != id {
			continue
		}
		kinds = append(kinds, ev.Kind)
		switch ev.Kind {
		case engine.ConnHandshake:
			if ev.Err != nil || ev.Conn == nil || ev.Protocol != wire.ProtocolVersion {
				t.Errorf("handshake event %+v, want success", ev)
			}
		case engine.ConnRejected:
			if ev.Reason != engine.RejectInvalidHeader {
				t.Errorf("rejected for %q, want %q", ev.Reason, engine.RejectInvalidHeader)
			}
		}
	}
	wantKinds := []engine.ConnEventKind{engine.ConnOpened, engine.ConnHandshake, engine.ConnRejected, engine.ConnClosed}
	if len(kinds) != len(wantKinds) {
		t.Fatalf("events %v, want %v", kinds, wantKinds)
	}
	for i := range kinds {
		if kinds[i] != wantKinds[i] {
			t.Fatalf("events %v, want %v", kinds, wantKinds)
		}
	}
}

func TestInterceptorSeesFailedHandshake(t *testing.T) {
	rec := newRecorder()
	d := startCalc(t, func(o *engine.Options) {
		o.Interceptors = []engine.Interceptor{rec.interceptor()}
		o.Hooks.ValidateHandshake = func(*dispatch.Conn, any) (any, error) { return nil, errors.New("go away") }
	})
	c := dialRaw(t, d)
	if m := c.connect("calc", serial.IDSerpent); m.Type != wire.MsgConnectFail {
		t.Fatalf("got type %d, want CONNECTFAIL", m.Type)
	}
	c.expectClosed()
	_, _, events := rec.snapshot()
	if len(events) == 0 {
		t.Fatal("no events")
	}
	rec.waitClosed(t, events[0].Info.ID)
	_, _, events = rec.snapshot()
	for _, ev := range events {
		if ev.Kind == engine.ConnHandshake {
			if ev.Err == nil || ev.Err.Error() != "go away" {
				t.Errorf("handshake error %v, want go away", ev.Err)
			}
			return
		}
	}
	t.Fatal("no handshake event")
}

// TestInterceptorsChain checks the first interceptor is the outermost.
func TestInterceptorsChain(t *testing.T) {
	type key struct{}
	var mu sync.Mutex
	var order []string
	mk := func(name string) engine.Interceptor {
		return engine.Interceptor{Call: func(ctx context.Context, info *engine.CallInfo, next engine.CallHandler) (any, error) {
			mu.Lock()
			order = append(order, name+">")
			mu.Unlock()
			v, err := next(context.WithValue(ctx, key{}, name))
			mu.Lock()
			order = append(order, "<"+name)
			mu.Unlock()
			return v, err
		}}
	}
	d := startCalc(t, func(o *engine.Options) { o.Interceptors = []engine.Interceptor{mk("a"), mk("b")} })
	c := dialRaw(t, d)
	c.handshake("calc")
	if _, v := c.invoke("calc", "add", int64(2), int64(2)); v != int64(4) {
		t.Fatalf("add = %v", v)
	}
	mu.Lock()
	defer mu.Unlock()
	if got := len(order); got != 4 || order[0] != "a>" || order[1] != "b>" || order[2] != "<b" || order[3] != "<a" {
		t.Errorf("order %v, want [a> b> <b <a]", order)
	}
}

// TestCoreLinksNoObservability: metrics and tracing are plug-ins; a program
// using the engine, the name server or the proxy links neither
// Prometheus nor OpenTelemetry.
func TestCoreLinksNoObservability(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"engine", "naming", "proxy"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/gyro-rpc/gyro/"+pkg).CombinedOutput()
		if err != nil {
			t.Skipf("go list: %v: %s", err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.Contains(dep, "prometheus") || strings.Contains(dep, "opentelemetry") {
				t.Errorf("%s links %s", pkg, dep)
			}
		}
	}
}

func TestInterceptorSeesThreadedOneway(t *testing.T) {
	rec := newRecorder()
	d := startCalc(t, func(o *engine.Options) { o.Interceptors = []engine.Interceptor{rec.interceptor()} })
	c := dialRaw(t, d)
	c.handshake("calc")
	data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "add", Args: []any{int64(1), int64(2)}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send(&wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: 1, SerializerID: serial.IDSerpent, Data: data})
	select {
	case m := <-rec.done:
		if m != "add" {
			t.Fatalf("call %q reported", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the oneway call was never reported")
	}
	infos, stats, _ := rec.snapshot()
	if in, st := infos[0], stats[0]; !in.Oneway || !in.Known || st.Err != nil || st.ResponseBytes != 0 || in.Session == nil {
		t.Errorf("oneway call reported as %+v, %+v", in, st)
	}
}

func TestInterceptorSeesRefusal(t *testing.T) {
	cfg := testConfig()
	if cfg.ServerType != "thread" {
		t.Skip("the worker pool belongs to the thread server type")
	}
	cfg.ThreadPoolSize, cfg.ThreadPoolSizeMin = 1, 1
	rec := newRecorder()
	d := startCalc(t, func(o *engine.Options) {
		o.Config = &cfg
		o.Interceptors = []engine.Interceptor{rec.interceptor()}
	})
	c1 := dialRaw(t, d)
	c1.handshake("calc") // holds the only worker
	c2 := dialRaw(t, d)
	if m := c2.connect("calc", serial.IDSerpent); m.Type != wire.MsgConnectFail {
		t.Fatalf("got type %d, want CONNECTFAIL", m.Type)
	}
	c1.nc.Close()
	_, _, events := rec.snapshot()
	var refused uint64
	for _, ev := range events {
		if ev.Kind == engine.ConnRejected && ev.Reason == engine.RejectBusy {
			refused = ev.Info.ID
		}
	}
	if refused == 0 {
		t.Fatalf("no busy rejection in %+v", events)
	}
	rec.waitClosed(t, refused)
}

// TestInterceptorSeesPyro5: a Pyro5 client's calls and handshake reach the
// interceptors with protocol 502 and the serializer under Pyro4's number,
// so one serializer has one label whichever generation used it.
func TestInterceptorSeesPyro5(t *testing.T) {
	rec := newRecorder()
	d := startCalc(t, func(o *engine.Options) { o.Interceptors = []engine.Interceptor{rec.interceptor()} })
	c := dialRaw5(t, d)
	if m := c.connect("calc", serial.ID5Marshal); m.Type != wire.MsgConnectOK {
		t.Fatalf("handshake: type %d: %q", m.Type, m.Data)
	}
	if _, v := c.invoke(&wire.Message5{}, "calc", "add", int64(1), int64(2)); v != int64(3) {
		t.Fatalf("add = %v", v)
	}
	c.nc.Close()
	_, _, events := rec.snapshot()
	if len(events) == 0 {
		t.Fatal("no connection events")
	}
	rec.waitClosed(t, events[0].Info.ID)
	infos, _, events := rec.snapshot()
	if len(infos) != 1 || infos[0].Protocol != wire.ProtocolVersion5 || infos[0].SerializerID != serial.IDSerpent {
		t.Errorf("calls reported %+v, want one add with protocol %d and serpent", infos, wire.ProtocolVersion5)
	}
	seen := false
	for _, ev := range events {
		if ev.Kind == engine.ConnHandshake {
			seen = true
			if ev.Err != nil || ev.Protocol != wire.ProtocolVersion5 || ev.SerializerID != serial.IDMarshal {
				t.Errorf("handshake event: err %v, protocol %d, serializer %d; want success, %d, %d (marshal)",
					ev.Err, ev.Protocol, ev.SerializerID, wire.ProtocolVersion5, serial.IDMarshal)
			}
		}
	}
	if !seen {
		t.Error("no handshake event")
	}
}
