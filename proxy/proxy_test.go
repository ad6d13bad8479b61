package proxy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// testTimeout bounds every fake-server test, so a bug fails instead of
// hanging.
const testTimeout = 10 * time.Second

func newFake(t testing.TB, setup ...func(*fakeServer)) *fakeServer {
	t.Helper()
	f, err := startFake(setup...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

// recv receives from c, failing the test if nothing comes in testTimeout.
func recv[T any](t testing.TB, c <-chan T) T {
	t.Helper()
	timer := time.NewTimer(testTimeout)
	defer timer.Stop()
	select {
	case v := <-c:
		return v
	case <-timer.C:
		t.Fatalf("nothing received in %v", testTimeout)
		panic("unreachable")
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// bound is New followed by Bind: a proxy that has connected.
func bound(ctx context.Context, uri string, opts proxy.Options) (*proxy.Proxy, error) {
	p, err := proxy.New(uri, opts)
	if err != nil {
		return nil, err
	}
	if err := p.Bind(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// cfgWith returns config.Default() changed by set.
func cfgWith(set func(c *config.Config)) *config.Config {
	c := config.Default()
	set(&c)
	return &c
}

func dial(t testing.TB, f *fakeServer, opts proxy.Options) *proxy.Proxy {
	t.Helper()
	p, err := bound(testCtx(t), f.URI(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// wantExc checks that err is (or wraps) a *pyval.Exception of class whose
// message contains msg, and returns it.
func wantExc(t testing.TB, err error, class, msg string) *pyval.Exception {
	t.Helper()
	var exc *pyval.Exception
	if !errors.As(err, &exc) {
		t.Fatalf("error %v (%T) is not a *pyval.Exception", err, err)
	}
	if exc.Class != class || !strings.Contains(exc.Message(), msg) {
		t.Fatalf("got %s %q, want %s containing %q", exc.Class, exc.Message(), class, msg)
	}
	return exc
}

func TestCallEcho(t *testing.T) {
	for _, ser := range []string{"serpent", "json", "marshal"} {
		t.Run(ser, func(t *testing.T) {
			f := newFake(t)
			p := dial(t, f, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = ser })})
			ctx := testCtx(t)
			v, err := p.Call(ctx, "echo", "hi")
			if err != nil || v != "hi" {
				t.Fatalf("echo = %v, %v", v, err)
			}
			v, err = p.CallKw(ctx, "echo", []any{int64(5)}, map[string]any{"b": 2, "a": 1})
			if err != nil || v != int64(5) {
				t.Fatalf("echo kw = %v, %v", v, err)
			}
			inv := f.Invokes()
			if got := inv[len(inv)-1].SerializerID; int(got) != map[string]int{"serpent": 1, "json": 2, "marshal": 3}[ser] {
				t.Errorf("serializer id %d", got)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	f := newFake(t)
	var got any
	p := dial(t, f, proxy.Options{Handshake: "let me in", ValidateHandshake: func(resp any) error {
		got = resp
		return nil
	}})
	if got != "hello" {
		t.Errorf("ValidateHandshake got %v", got)
	}
	c := f.Connects()[0]
	if c.Flags != wire.FlagMetaOnConnect || c.Seq != 0 {
		t.Errorf("CONNECT flags %#x seq %d", c.Flags, c.Seq)
	}
	if !bytes.Contains(c.Data, []byte("let me in")) || !bytes.Contains(c.Data, []byte("fake")) {
		t.Errorf("CONNECT payload %q lacks handshake or object", c.Data)
	}
	methods, oneway, attrs := p.Metadata()
	if !slices.Contains(methods, "echo") || !slices.Equal(oneway, []string{"ow"}) || !slices.Equal(attrs, []string{"value"}) {
		t.Errorf("metadata %v %v %v", methods, oneway, attrs)
	}

	refuse := errors.New("not my server")
	_, err := bound(testCtx(t), f.URI(), proxy.Options{ValidateHandshake: func(any) error { return refuse }})
	if !errors.Is(err, refuse) {
		t.Errorf("refusing handshake: %v", err)
	}
}

func TestMetadataFetched(t *testing.T) {
	f := newFake(t, func(f *fakeServer) { f.metaInReply = false })
	p := dial(t, f, proxy.Options{})
	if methods, _, _ := p.Metadata(); !slices.Contains(methods, "echo") {
		t.Fatalf("metadata not fetched: %v", methods)
	}
	inv := f.Invokes()
	if len(inv) != 1 || !bytes.Contains(inv[0].Data, []byte("get_metadata")) || !bytes.Contains(inv[0].Data, []byte("Pyro.Daemon")) {
		t.Fatalf("expected one get_metadata call on Pyro.Daemon, got %d invokes", len(inv))
	}
}

func TestNoMetadata(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Metadata = false })})
	if c := f.Connects()[0]; c.Flags != 0 || bytes.Contains(c.Data, []byte("object")) {
		t.Errorf("CONNECT without metadata: flags %#x payload %q", c.Flags, c.Data)
	}
	if m, _, _ := p.Metadata(); len(m) != 0 {
		t.Errorf("metadata %v", m)
	}
	// Not checked locally: the server answers.
	_, err := p.Call(testCtx(t), "nosuch")
	wantExc(t, err, pyval.ClassAttributeError, "remote object has no method nosuch")
	if len(f.Invokes()) != 1 {
		t.Errorf("call did not reach the server")
	}
}

func TestEmptyMetadata(t *testing.T) {
	f := newFake(t, func(f *fakeServer) { f.meta = pyval.DictOf("methods", []any{}, "oneway", []any{}, "attrs", []any{}) })
	_, err := bound(testCtx(t), f.URI(), proxy.Options{})
	wantExc(t, err, pyval.ClassPyroError, "remote object doesn't expose any methods or attributes. Did you forget setting @expose on them?")
}

func TestConnectFail(t *testing.T) {
	f := newFake(t, func(f *fakeServer) { f.rejectWith = "go away" })
	_, err := bound(testCtx(t), f.URI(), proxy.Options{})
	addr := f.ln.Addr().String()
	port := addr[strings.LastIndexByte(addr, ':')+1:]
	wantExc(t, err, pyval.ClassCommunicationError, "connection to ('127.0.0.1', "+port+") rejected: go away")
}

func TestConnectRefused(t *testing.T) {
	f := newFake(t)
	uri := f.URI()
	f.Close()
	_, err := bound(testCtx(t), uri, proxy.Options{})
	wantExc(t, err, pyval.ClassCommunicationError, "cannot connect to ('127.0.0.1', ")
}

func TestLocalAttributeError(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	for _, name := range []string{"nosuch", "_private", "value"} {
		_, err := p.Call(ctx, name)
		wantExc(t, err, pyval.ClassAttributeError, "remote object '"+f.URI()+"' has no exposed attribute or method '"+name+"'")
	}
	_, err := p.Get(ctx, "echo")
	wantExc(t, err, pyval.ClassAttributeError, "has no exposed attribute 'echo'")
	if n := len(f.Invokes()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestAttributes(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	if v, err := p.Get(ctx, "value"); err != nil || v != int64(7) {
		t.Fatalf("Get = %v, %v", v, err)
	}
	if err := p.Set(ctx, "value", "x"); err != nil {
		t.Fatal(err)
	}
	if v, err := p.Get(ctx, "value"); err != nil || v != "x" {
		t.Fatalf("Get after Set = %v, %v", v, err)
	}
	for _, m := range f.Invokes() {
		if bytes.Contains(m.Data, []byte("{}")) {
			t.Errorf("attribute access sent kwargs {} instead of None: %q", m.Data)
		}
	}
}

func TestSeqWrap(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	proxy.SetSeq(p, 65534)
	for _, want := range []int64{65535, 0, 1} {
		v, err := p.Call(ctx, "seq")
		if err != nil || v != want {
			t.Fatalf("seq = %v, %v; want %d", v, err, want)
		}
	}
	// A reconnecting proxy keeps counting: CONNECT carries the current seq.
	p.Close()
	if _, err := p.Call(ctx, "seq"); err != nil {
		t.Fatal(err)
	}
	if c := f.Connects(); len(c) != 2 || c[1].Seq != 1 {
		t.Errorf("reconnect: %d CONNECTs, last seq %d", len(c), c[len(c)-1].Seq)
	}
}

// TestBadReply checks the reply checks: each mismatch is an error and drops
// the connection, since later replies could no longer be matched.
func TestBadReply(t *testing.T) {
	tests := []struct {
		method, class, msg string
	}{
		{"badseq", pyval.ClassProtocolError, "invoke: reply sequence out of sync, got 2 expected 1"},
		{"badser", pyval.ClassSerializeError, "invalid serializer in response: 2"},
		{"badtype", pyval.ClassProtocolError, "invalid msg type 6 received"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			f := newFake(t)
			p := dial(t, f, proxy.Options{})
			ctx := testCtx(t)
			_, err := p.Call(ctx, tt.method)
			wantExc(t, err, tt.class, tt.msg)
			if !errors.Is(err, pyval.ErrCommunication) {
				t.Errorf("%v is not a CommunicationError", err)
			}
			if v, err := p.Call(ctx, "echo", "again"); err != nil || v != "again" {
				t.Fatalf("after the bad reply: %v, %v", v, err)
			}
			if n := f.accepted.Load(); n != 2 {
				t.Errorf("%d connections, want 2 (dropped and reconnected)", n)
			}
		})
	}
}

func TestMaxMessageSize(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{Config: cfgWith(func(c *config.Config) { c.MaxMessageSize = 250 /* above the CONNECTOK with the metadata */ })})
	ctx := testCtx(t)
	long := strings.Repeat("x", 300)
	_, err := p.Call(ctx, "echo", long)
	wantExc(t, err, pyval.ClassMessageTooLargeError, "max message size exceeded")
	if len(f.Invokes()) != 0 {
		t.Errorf("an oversize request was sent")
	}
	// Refused before sending: the connection stays.
	if err := dial(t, f, proxy.Options{}).Set(ctx, "value", long); err != nil {
		t.Fatal(err)
	}
	_, err = p.Get(ctx, "value")
	wantExc(t, err, pyval.ClassMessageTooLargeError, "max message size exceeded")
	if !errors.Is(err, wire.ErrTooLarge) {
		t.Errorf("%v does not wrap wire.ErrTooLarge", err)
	}
	if n := f.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if _, err := p.Call(ctx, "echo", 1); err != nil || f.accepted.Load() != 3 {
		t.Errorf("after an oversize reply: %v, %d connections, want a new one", err, f.accepted.Load())
	}
}

func TestConnectTimeout(t *testing.T) {
	f := newFake(t, func(f *fakeServer) { f.silent = true })
	_, err := bound(testCtx(t), f.URI(), proxy.Options{Config: cfgWith(func(c *config.Config) { c.CommTimeout = 50 * time.Millisecond })})
	wantExc(t, err, pyval.ClassTimeoutError, "receiving: timeout")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%v does not wrap os.ErrDeadlineExceeded", err)
	}
}

func TestDroppedMidCall(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	_, err := p.Call(ctx, "drop")
	wantExc(t, err, pyval.ClassConnectionClosedError, "receiving: ")
	wantServes(t, p, f, 2)
}

func TestRetry(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{Config: cfgWith(func(c *config.Config) { c.MaxRetries = 1 })})
	v, err := p.Call(testCtx(t), "dropOnce")
	if err != nil || v != "ok" {
		t.Fatalf("dropOnce with a retry = %v, %v", v, err)
	}
	if n := f.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}

	f2 := newFake(t)
	p2 := dial(t, f2, proxy.Options{})
	_, err = p2.Call(testCtx(t), "dropOnce")
	wantExc(t, err, pyval.ClassConnectionClosedError, "")
}

func TestRemoteException(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	_, err := p.Call(testCtx(t), "boom")
	exc := wantExc(t, err, pyval.ClassValueError, "boom")
	if _, ok := err.(*pyval.Exception); !ok {
		t.Errorf("remote exception returned as %T, want *pyval.Exception", err)
	}
	if !strings.Contains(exc.Traceback(), "Traceback (most recent call last)") {
		t.Errorf("traceback %q", exc.Traceback())
	}
	// Not a communication error: the connection stays.
	if _, err := p.Call(testCtx(t), "echo", 1); err != nil || f.accepted.Load() != 1 {
		t.Errorf("connection not kept after a remote exception: %v, %d connections", err, f.accepted.Load())
	}
}

func TestContextCancel(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := p.Call(ctx, "hang")
		errc <- err
	}()
	recv(t, f.hung)
	cancel()
	err := recv(t, errc)
	wantExc(t, err, pyval.ClassTimeoutError, "context canceled")
	if !errors.Is(err, context.Canceled) || !errors.Is(err, pyval.ErrTimeout) {
		t.Errorf("error %v does not match context.Canceled and TimeoutError", err)
	}
	wantServes(t, p, f, 2)
}

func TestTimeout(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{Config: cfgWith(func(c *config.Config) { c.CommTimeout = 50 * time.Millisecond })})
	_, err := p.Call(testCtx(t), "hang")
	wantExc(t, err, pyval.ClassTimeoutError, "receiving: timeout")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("error %v does not wrap os.ErrDeadlineExceeded", err)
	}

	p2 := dial(t, f, proxy.Options{})
	ctx, cancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer cancel()
	_, err = p2.Call(ctx, "hang")
	wantExc(t, err, pyval.ClassTimeoutError, "timeout")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	// A done context fails at once, without touching the connection.
	_, err = p2.Call(ctx, "echo", 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("call with an expired context: %v", err)
	}
}

func TestOneway(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	// "ow" is oneway in the metadata, so Call does not wait.
	if v, err := p.Call(ctx, "ow", 1); v != nil || err != nil {
		t.Fatalf("oneway Call = %v, %v", v, err)
	}
	if m := recv(t, f.oneways); m != "ow" {
		t.Errorf("oneway method %q", m)
	}
	if err := p.Oneway(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, f.oneways); m != "echo" {
		t.Errorf("oneway method %q", m)
	}
	// Seq counts oneway requests too.
	if v, err := p.Call(ctx, "seq"); err != nil || v != int64(3) {
		t.Errorf("seq after two oneways = %v, %v", v, err)
	}
}

func TestAnnotations(t *testing.T) {
	f := newFake(t)
	p, err := proxy.New(f.URI(), proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	id := [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	p.SetCorrelationID(id)
	if err := p.SetAnnotation("XTRA", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := p.SetAnnotation("TOOLONG", nil); err == nil {
		t.Errorf("5+ character key accepted")
	}
	ctx := testCtx(t)
	if _, err := p.Call(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	// Lazily connected: the CONNECT carried them, and so did the call.
	for _, m := range []*wire.Message{f.Connects()[0], f.Invokes()[0]} {
		if v, ok := m.Annotation("CORR"); !ok || !bytes.Equal(v, id[:]) {
			t.Errorf("type %d: CORR %x", m.Type, v)
		}
		if v, _ := m.Annotation("XTRA"); string(v) != "v" {
			t.Errorf("type %d: XTRA %q", m.Type, v)
		}
	}
	if v := p.ResponseAnnotations()["CORR"]; !bytes.Equal(v, id[:]) {
		t.Errorf("response CORR %x", v)
	}
	// Sent once.
	if _, err := p.Call(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if inv := f.Invokes(); len(inv[1].Annotations) != 0 {
		t.Errorf("annotations sent twice: %v", inv[1].Annotations)
	}
	if len(p.ResponseAnnotations()) != 0 {
		t.Errorf("stale response annotations")
	}
}

func TestResolve(t *testing.T) {
	f := newFake(t)
	_, err := bound(testCtx(t), "PYRONAME:fake", proxy.Options{})
	if !errors.Is(err, proxy.ErrNoResolver) {
		t.Errorf("PYRONAME without a resolver: %v", err)
	}
	var asked pyval.URI
	p, err := bound(testCtx(t), "PYRONAME:fake@ns.example:9090", proxy.Options{
		Resolve: func(ctx context.Context, u pyval.URI) (pyval.URI, error) {
			asked = u
			return pyval.ParseURI(f.URI())
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if asked.String() != "PYRONAME:fake@ns.example:9090" || p.URI().String() != f.URI() {
		t.Errorf("resolved %v, proxy uri %v", asked, p.URI())
	}
}

func TestBatch(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	b := p.Batch()
	b.Add("echo", 1)
	b.Add("boom")
	b.Add("echo", 3)
	res, err := b.Run(ctx)
	wantExc(t, err, pyval.ClassValueError, "boom")
	if !slices.Equal(res, []any{int64(1)}) {
		t.Errorf("results before the exception: %v", res)
	}
	if b.Len() != 0 {
		t.Errorf("batch not cleared")
	}
	b.Add("echo", "x")
	b.AddKw("echo", []any{"y"}, nil)
	res, err = b.Run(ctx)
	if err != nil || !slices.Equal(res, []any{"x", "y"}) {
		t.Errorf("batch = %v, %v", res, err)
	}
	inv := f.Invokes()
	if last := inv[len(inv)-1]; last.Flags != wire.FlagBatch {
		t.Errorf("batch flags %#x", last.Flags)
	}
	b.Add("echo", 1)
	if err := b.RunOneway(ctx); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, f.oneways); m != "<batch>" {
		t.Errorf("oneway batch method %q", m)
	}
}

func TestStream(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	v, err := p.Call(ctx, "gen")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := v.(*proxy.Stream)
	if !ok || s.ID() != "stream-1" {
		t.Fatalf("Call on a generator returned %T %v", v, v)
	}
	var got []any
	for item, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, item)
	}
	if !slices.Equal(got, []any{"a", "b", "c"}) {
		t.Errorf("items %v", got)
	}
	if _, err := s.Next(ctx); err != io.EOF {
		t.Errorf("Next after the end: %v", err)
	}
	if err := s.Close(testCtx(t)); err != nil || len(f.ClosedStreams()) != 0 {
		t.Errorf("Close after the end: %v, close_stream sent %v", err, f.ClosedStreams())
	}

	if _, err := p.Stream(ctx, "echo", 1); !errors.Is(err, proxy.ErrNotStream) {
		t.Errorf("Stream on a plain method: %v", err)
	}
}

func TestStreamClose(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	s, err := p.Stream(ctx, "gen")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := s.Next(ctx); err != nil || v != "a" {
		t.Fatalf("Next = %v, %v", v, err)
	}
	if err := s.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, f.oneways); m != "close_stream" || !slices.Equal(f.ClosedStreams(), []string{"stream-1"}) {
		t.Errorf("close_stream: %q %v", m, f.ClosedStreams())
	}
	if n := f.accepted.Load(); n != 1 {
		t.Errorf("idle proxy: close_stream used %d connections, want 1", n)
	}
	if _, err := s.Next(ctx); err != io.EOF {
		t.Errorf("Next after Close: %v", err)
	}
}

// TestStreamCloseBusy closes a stream while a call holds the proxy's
// connection: close_stream goes over a temporary connection.
func TestStreamCloseBusy(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	s, err := p.Stream(ctx, "gen")
	if err != nil {
		t.Fatal(err)
	}
	hctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Call(hctx, "hang")
		errc <- err
	}()
	recv(t, f.hung)
	if err := s.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, f.oneways); m != "close_stream" || f.accepted.Load() != 2 {
		t.Errorf("close_stream %q over %d connections, want a second one", m, f.accepted.Load())
	}
	cancel()
	recv(t, errc)
}

func TestStreamConnectionGone(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	s, err := p.Stream(ctx, "gen")
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	_, err = s.Next(ctx)
	wantExc(t, err, pyval.ClassConnectionClosedError, "the proxy for this stream result has been closed")
	if n := f.accepted.Load(); n != 1 {
		t.Errorf("Next reconnected: %d connections", n)
	}
	// Another call reconnects; the stream goes on over the new connection,
	// as a Pyro4 daemon lets it while the stream lingers.
	if _, err := p.Call(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Next(ctx); err != nil || v != "a" {
		t.Errorf("Next after reconnecting = %v, %v", v, err)
	}
	p.Close()
	if err := s.Close(testCtx(t)); err != nil || len(f.ClosedStreams()) != 0 {
		t.Errorf("Close without a connection: %v, close_stream sent %v", err, f.ClosedStreams())
	}
}

func TestConcurrentCalls(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				want := int64(i*100 + j)
				if v, err := p.Call(ctx, "echo", want); err != nil || v != want {
					t.Errorf("echo %d = %v, %v", want, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := f.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestCloseReconnects(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if v, err := p.Call(testCtx(t), "echo", "back"); err != nil || v != "back" {
		t.Fatalf("after Close: %v, %v", v, err)
	}
}

// TestStreamCloseDoneContext checks that closing a stream with a done
// context fails at once and leaves the proxy's connection alone.
func TestStreamCloseDoneContext(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	s, err := p.Stream(testCtx(t), "gen")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	cancel()
	if err := s.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a cancelled context: %v", err)
	}
	wantServes(t, p, f, 1)
}

// TestCloseInterrupts checks that Close does not wait for a call that
// hangs: the call fails at once and the proxy connects again afterwards.
func TestCloseInterrupts(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{})
	errc := make(chan error, 1)
	go func() {
		_, err := p.Call(testCtx(t), "hang")
		errc <- err
	}()
	recv(t, f.hung)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	err := recv(t, errc)
	wantExc(t, err, pyval.ClassConnectionClosedError, "receiving")
	if errors.Is(err, pyval.ErrTimeout) {
		t.Errorf("interrupted call %v is a timeout", err)
	}
	if v, err := p.Call(testCtx(t), "echo", "back"); err != nil || v != "back" {
		t.Fatalf("after Close: %v, %v", v, err)
	}
}

func TestBadOptions(t *testing.T) {
	for _, name := range []string{"pickle", "yaml", ""} {
		_, err := proxy.New("PYRO:x@localhost:1", proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = name })})
		if !errors.Is(err, proxy.ErrSerializer) || err.Error() != fmt.Sprintf("proxy: unknown serializer %q", name) {
			t.Errorf("serializer %q: %v", name, err)
		}
	}
	if _, err := proxy.New("nonsense", proxy.Options{}); !errors.Is(err, pyval.ErrInvalidURI) {
		t.Errorf("bad uri: %v", err)
	}
}

func TestFromRef(t *testing.T) {
	f := newFake(t)
	ref := pyval.ProxyRef{URI: pyval.MustParseURI(f.URI()), Methods: []string{"echo"}, Oneway: []string{}, Attrs: []string{}, Serializer: "json"}
	p, err := proxy.FromRef(ref, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// Metadata is known, so a bad name fails without connecting.
	if _, err := p.Call(testCtx(t), "seq"); err == nil || f.accepted.Load() != 0 {
		t.Errorf("unlisted method: %v, %d connections", err, f.accepted.Load())
	}
	if v, err := p.Call(testCtx(t), "echo", 1); err != nil || v != int64(1) {
		t.Fatalf("echo = %v, %v", v, err)
	}
	if id := f.Invokes()[0].SerializerID; id != 2 {
		t.Errorf("serializer %d, want json from the ref", id)
	}
}

func BenchmarkProxyEchoFake(b *testing.B) {
	f := newFake(b, func(f *fakeServer) { f.noRecord = true })
	p := dial(b, f, proxy.Options{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Call(ctx, "echo", "hello"); err != nil {
			b.Fatal(err)
		}
	}
}
