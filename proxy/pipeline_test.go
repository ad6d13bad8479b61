package proxy_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/internal/servetest"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	_ "github.com/gyro-rpc/gyro/multicore" // the multicore server type
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

var piped = proxy.Options{Pipeline: true}

// hammer calls echo from callers goroutines, calls times each, over p, and
// checks every result is the caller's own argument.
func hammer(t *testing.T, p *proxy.Proxy, callers, calls int) {
	t.Helper()
	ctx := testCtx(t)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range calls {
				want := fmt.Sprintf("%d/%d", i, j)
				if v, err := p.Call(ctx, "echo", want); err != nil || v != want {
					t.Errorf("echo %s = %v, %v", want, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestPipelineConcurrentCalls(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	hammer(t, p, 32, 20)
	if n := f.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	// every request had its own seq
	seen := map[uint16]bool{}
	for _, m := range f.Invokes() {
		if seen[m.Seq] {
			t.Fatalf("seq %d sent twice", m.Seq)
		}
		seen[m.Seq] = true
	}
}

// TestPipelineInFlight checks that calls do not wait for each other: a
// call goes out while another waits for its reply.
func TestPipelineInFlight(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	errc := make(chan error, 1)
	go func() {
		v, err := p.Call(ctx, "wait", "first")
		if err == nil && v != "first" {
			err = fmt.Errorf("wait returned %v", v)
		}
		errc <- err
	}()
	recv(t, f.hung)
	// echo is sent while wait is in flight; the server answers in order.
	done := make(chan error, 1)
	go func() {
		v, err := p.Call(ctx, "echo", "second")
		if err == nil && v != "second" {
			err = fmt.Errorf("echo returned %v", v)
		}
		done <- err
	}()
	waitFor(t, func() bool { return proxy.InFlight(p) == 2 })
	f.release <- struct{}{}
	if err := recv(t, errc); err != nil {
		t.Error(err)
	}
	if err := recv(t, done); err != nil {
		t.Error(err)
	}
}

// TestPipelineMatchesBySeq has the server answer two calls in the reverse
// order: each still gets its own reply.
func TestPipelineMatchesBySeq(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	type res struct {
		v   any
		err error
	}
	first := make(chan res, 1)
	go func() {
		v, err := p.Call(ctx, "later", "held")
		first <- res{v, err}
	}()
	recv(t, f.hung) // the server holds the reply; the next call overtakes it
	if v, err := p.Call(ctx, "echo", "overtakes"); err != nil || v != "overtakes" {
		t.Fatalf("echo = %v, %v", v, err)
	}
	if r := recv(t, first); r.err != nil || r.v != "held" {
		t.Fatalf("later = %v, %v", r.v, r.err)
	}
}

// TestPipelineUnexpectedSeq: a reply no call waits for fails every call in
// flight clearly, and the next call connects again.
func TestPipelineUnexpectedSeq(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	_, err := p.Call(ctx, "badseq")
	wantExc(t, err, pyval.ClassProtocolError, "reply sequence out of sync")
	wantServes(t, p, f, 2)
}

// TestPipelineCancel: a call given up by its context leaves the connection
// to the others; its reply is dropped when it comes.
func TestPipelineCancel(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := p.Call(ctx, "wait", "abandoned")
		errc <- err
	}()
	recv(t, f.hung)
	cancel()
	err := recv(t, errc)
	wantExc(t, err, pyval.ClassTimeoutError, "context canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%v does not wrap context.Canceled", err)
	}
	done := make(chan error, 1)
	go func() {
		v, err := p.Call(testCtx(t), "echo", "after")
		if err == nil && v != "after" {
			err = fmt.Errorf("echo returned %v", v)
		}
		done <- err
	}()
	f.release <- struct{}{} // the abandoned reply comes first
	if err := recv(t, done); err != nil {
		t.Fatal(err)
	}
	if n := f.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

// TestPipelineServerCloses: the server closing the connection fails every
// call in flight, and the next call connects again.
func TestPipelineServerCloses(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	errc := make(chan error, 3)
	go func() {
		_, err := p.Call(ctx, "wait", 1)
		errc <- err
	}()
	recv(t, f.hung)
	for range 2 {
		go func() {
			_, err := p.Call(ctx, "echo", 2)
			errc <- err
		}()
	}
	// both sent behind wait; then drop the connection under all three
	// (a call still being written would fail "sending", as it should)
	waitFor(t, func() bool { return proxy.Sent(p) == 3 })
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	for range 3 {
		err := recv(t, errc)
		wantExc(t, err, pyval.ClassConnectionClosedError, "receiving")
	}
	f.release <- struct{}{}
	wantServes(t, p, f, 2)
}

// TestPipelineCancelStorm has callers give up calls at random points
// (before queueing, queued, written, answered) while others go on: every
// answer that comes back must be the caller's own, whole, so no abandoned
// request's buffer is reused while it waits to be written, and no reply
// reaches the wrong call.
func TestPipelineCancelStorm(t *testing.T) {
	f := newFake(t, func(f *fakeServer) { f.noRecord = true })
	p := dial(t, f, piped)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 60 {
				want := fmt.Sprintf("%d/%d/%s", i, j, strings.Repeat("x", (i*j)%3000))
				ctx, cancel := context.WithTimeout(testCtx(t), time.Duration(j%7)*20*time.Microsecond)
				v, err := p.Call(ctx, "echo", want)
				cancel()
				switch {
				case err == nil && v != want:
					t.Errorf("echo %.20q... = %.20q...", want, v)
					return
				case err != nil && !errors.Is(err, context.DeadlineExceeded):
					t.Errorf("echo: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	wantServes(t, p, f, 1)
}

// TestPipelineWindow: a call that would put more than the window of
// request bytes unanswered on the connection waits for a reply first.
func TestPipelineWindow(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	big := strings.Repeat("x", 600<<10) // two of these are over the window
	errc := make(chan error, 2)
	go func() {
		_, err := p.Call(ctx, "wait", big)
		errc <- err
	}()
	recv(t, f.hung)
	go func() {
		v, err := p.Call(ctx, "echo", big)
		if err == nil && v != big {
			err = errors.New("echo returned something else")
		}
		errc <- err
	}()
	waitFor(t, func() bool { return proxy.WaitingForRoom(p) == 1 })
	f.release <- struct{}{}
	for range 2 {
		if err := recv(t, errc); err != nil {
			t.Fatal(err)
		}
	}
}

func TestPipelineCloseFailsPending(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Call(testCtx(t), "wait", 1)
		errc <- err
	}()
	recv(t, f.hung)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	wantExc(t, recv(t, errc), pyval.ClassConnectionClosedError, "proxy closed")
	f.release <- struct{}{}
	if v, err := p.Call(testCtx(t), "echo", "back"); err != nil || v != "back" {
		t.Fatalf("after Close: %v, %v", v, err)
	}
}

func TestPipelineOnewayAttrBatchStream(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	if err := p.Oneway(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, f.oneways); m != "echo" {
		t.Errorf("oneway %q", m)
	}
	if v, err := p.Call(ctx, "ow", 1); err != nil || v != nil {
		t.Errorf("metadata oneway: %v, %v", v, err)
	}
	recv(t, f.oneways)
	if err := p.Set(ctx, "value", int64(9)); err != nil {
		t.Fatal(err)
	}
	if v, err := p.Get(ctx, "value"); err != nil || v != int64(9) {
		t.Errorf("Get = %v, %v", v, err)
	}
	b := p.Batch()
	b.Add("echo", 1)
	b.Add("echo", 2)
	if res, err := b.Run(ctx); err != nil || len(res) != 2 {
		t.Errorf("batch = %v, %v", res, err)
	}
	s, err := p.Stream(ctx, "gen")
	if err != nil {
		t.Fatal(err)
	}
	var items []any
	for v, err := range s.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, v)
	}
	if fmt.Sprint(items) != "[a b c]" {
		t.Errorf("stream items %v", items)
	}
	if _, err := p.Call(ctx, "nope"); !errors.Is(err, proxy.ErrNotExposed) {
		t.Errorf("unexposed: %v", err)
	}
}

// TestPipelineGyroDaemon runs concurrent pipelined callers, and oneways,
// against gyro's daemon on every server type: each answers a connection's
// requests in order, as the proxy needs.
func TestPipelineGyroDaemon(t *testing.T) {
	for _, st := range []string{"thread", "multiplex", "multicore"} {
		t.Run(st, func(t *testing.T) {
			cfg := config.Default()
			cfg.ServerType = st
			d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			uri, err := d.Register(echo.New(io.Discard, false, nil), echo.ObjectID, false)
			if err != nil {
				t.Fatal(err)
			}
			servetest.Serve(t, d)
			p, err := proxy.New(uri.String(), piped)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			hammer(t, p, 32, 30)
			if err := p.Oneway(testCtx(t), "oneway_echo", "x"); err != nil {
				t.Fatal(err)
			}
			wantInOrder(t, uri.Host, uri.Port, uri.Object, wire.Pyro4)
		})
	}
}

// TestPipelineGyroTLS: gyro's daemon, every server type, answers
// pipelined requests over TLS, where Pyro4's stalls (TestPyro4TLS).
func TestPipelineGyroTLS(t *testing.T) {
	f := testcerts.New(t)
	for _, st := range []string{"thread", "multiplex", "multicore"} {
		t.Run(st, func(t *testing.T) {
			cfg := config.Default()
			cfg.ServerType = st
			cfg.SSL, cfg.SSLServerCert, cfg.SSLServerKey = true, f.ServerCert, f.ServerKey
			d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			uri, err := d.Register(echo.New(io.Discard, false, nil), echo.ObjectID, false)
			if err != nil {
				t.Fatal(err)
			}
			servetest.Serve(t, d)
			p, err := proxy.New(uri.String(), proxy.Options{Pipeline: true, Config: sslConfig(f.CACert, "", "", "")})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			hammer(t, p, 32, 20)
		})
	}
}

// TestPipelinePyro4 checks on the wire that Pyro4's daemons (thread and
// multiplex) answer a connection's pipelined requests in order, and runs
// concurrent callers over one pipelining proxy against them.
func TestPipelinePyro4(t *testing.T) {
	for _, st := range []string{"thread", "multiplex"} {
		t.Run(st, func(t *testing.T) {
			srv, uri := startEcho(t, nil, "PYRO_SERVERTYPE="+st)
			u := pyval.MustParseURI(uri)
			wantInOrder(t, u.Host, u.Port, u.Object, wire.Pyro4)
			p, err := proxy.New(uri, piped)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			hammer(t, p, 16, 20)
			shutdown(t, srv, uri, proxy.Options{})
		})
	}
}

// TestPipelinePyro5 is TestPipelinePyro4 against Pyro5's echo server, over
// protocol 502.
func TestPipelinePyro5(t *testing.T) {
	srv := pyrotest.Start5(t, []string{"-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1"}, echoURILine)
	u := pyval.MustParseURI(srv.Match[1])
	wantInOrder(t, u.Host, u.Port, u.Object, wire.Pyro5)
	p, err := proxy.New(srv.Match[1], proxy.Options{Pipeline: true, Protocol: wire.Pyro5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hammer(t, p, 16, 20)
}

// waitFor polls cond, yielding in between, until it holds or testTimeout
// passes (which fails the test).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in time")
		}
		runtime.Gosched()
	}
}

// inOrderRequests is how many requests wantInOrder sends in one write.
const inOrderRequests = 50

// wantInOrder sends inOrderRequests echo requests in one write on a raw
// connection to the daemon at host:port and checks that the replies come
// in the order of the requests, as the pipelining proxy assumes of a
// daemon.
func wantInOrder(t *testing.T, host string, port int, object string, protocol int) {
	t.Helper()
	c, err := net.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := inOrderReplies(t, c, object, protocol, testTimeout); n != inOrderRequests {
		t.Fatalf("%d replies of %d", n, inOrderRequests)
	}
}

// inOrderReplies does the handshake on c, sends inOrderRequests echo
// requests in one write and returns how many replies came, in order,
// before wait passed; a reply out of order fails the test.
func inOrderReplies(t *testing.T, c net.Conn, object string, protocol int, wait time.Duration) int {
	t.Helper()
	c.SetDeadline(time.Now().Add(testTimeout))
	br := bufio.NewReader(c)
	codec := serial.Serpent
	hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", object), nil) // Pyro5 wants the object
	frame, read := appendFrame(protocol), readFrame(protocol)
	if _, err := c.Write(frame(nil, wire.MsgConnect, 0, hs)); err != nil {
		t.Fatal(err)
	}
	if m, err := read(br); err != nil || m.Type != wire.MsgConnectOK {
		t.Fatalf("handshake: %v %v", m, err)
	}
	var out []byte
	for i := range inOrderRequests {
		data, err := codec.MarshalCall(nil, &serial.Call{Object: object, Method: "echo", Args: []any{i}, Kwargs: pyval.DictOf()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		out = frame(out, wire.MsgInvoke, uint16(1000+i), data)
	}
	if _, err := c.Write(out); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(wait))
	for i := range inOrderRequests {
		m, err := read(br)
		if err != nil {
			t.Logf("reply %d of %d: %v", i, inOrderRequests, err)
			return i
		}
		if m.Seq != uint16(1000+i) {
			t.Fatalf("reply %d has seq %d, want %d: replies out of order", i, m.Seq, 1000+i)
		}
		if v, err := codec.Unmarshal(m.Data); err != nil || v != int64(i) {
			t.Fatalf("reply %d = %v, %v", i, v, err)
		}
	}
	return inOrderRequests
}

func appendFrame(protocol int) func(dst []byte, typ wire.MsgType, seq uint16, data []byte) []byte {
	return func(dst []byte, typ wire.MsgType, seq uint16, data []byte) []byte {
		var b []byte
		var err error
		if protocol == wire.Pyro5 {
			b, err = wire.Append5(dst, &wire.Message5{Type: typ, Seq: seq, SerializerID: serial.ID5Serpent, Data: data}, nil)
		} else {
			b, err = wire.Append(dst, &wire.Message{Type: typ, Seq: seq, SerializerID: serial.IDSerpent, Data: data}, nil)
		}
		if err != nil {
			panic(err)
		}
		return b
	}
}

func readFrame(protocol int) func(br *bufio.Reader) (*wire.Message, error) {
	return func(br *bufio.Reader) (*wire.Message, error) {
		if protocol != wire.Pyro5 {
			return wire.ReadMessage(br, nil)
		}
		m, err := wire.ReadMessage5(br, nil)
		if err != nil {
			return nil, err
		}
		return &wire.Message{Type: m.Type, Seq: m.Seq, Data: m.Data}, nil
	}
}

// A call that meets COMMTIMEOUT releases the connection, as Pyro4's proxy
// does: the daemon answers in order, so every later call would wait
// behind the unanswered one. The next call connects again.
func TestPipelineTimeoutReleases(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, proxy.Options{Pipeline: true, Config: cfgWith(func(c *config.Config) { c.CommTimeout = 100 * time.Millisecond })})
	_, err := p.Call(testCtx(t), "hang")
	wantExc(t, err, pyval.ClassTimeoutError, "receiving: timeout")
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("%v does not wrap os.ErrDeadlineExceeded, as the plain proxy's timeout does", err)
	}
	wantServes(t, p, f, 2)
}

// A remote CommunicationError releases the connection (Pyro4 does), but
// it is that call's exception: the other calls in flight on the released
// connection get a local ConnectionClosedError, never the other call's
// exception.
func TestPipelineRemoteCommunicationError(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	type res struct {
		v   any
		err error
	}
	done := make(chan res, 1)
	go func() {
		v, err := p.Call(testCtx(t), "later", "a") // answered after the next request
		done <- res{v, err}
	}()
	<-f.hung
	_, err := p.Call(testCtx(t), "commfail")
	wantExc(t, err, pyval.ClassConnectionClosedError, "remote-side failure")
	// the fake holds later's reply back: the release is what ends it
	r := <-done
	var exc *pyval.Exception
	if !errors.As(r.err, &exc) || exc.Class != pyval.ClassConnectionClosedError || strings.Contains(r.err.Error(), "remote-side failure") {
		t.Errorf("the other call got %v, %v, want a local ConnectionClosedError", r.v, r.err)
	}
	if v, err := p.Call(testCtx(t), "echo", "after"); err != nil || v != "after" {
		t.Fatalf("after the release: %v, %v", v, err)
	}
}

// A pipelined oneway clears the last reply's annotations, as a plain
// proxy's does: ResponseAnnotations is nil after a oneway.
func TestPipelineOnewayClearsResponse(t *testing.T) {
	f := newFake(t)
	p := dial(t, f, piped)
	ctx := testCtx(t)
	if err := p.SetAnnotation("XTRA", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Call(ctx, "echo", 1); err != nil {
		t.Fatal(err)
	}
	if v := p.ResponseAnnotations()["XTRA"]; string(v) != "v" {
		t.Fatalf("response XTRA %q", v)
	}
	if err := p.SetAnnotation("XTRA", []byte("w")); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Call(ctx, "ow", 1); err != nil {
		t.Fatal(err)
	}
	if got := p.ResponseAnnotations(); got != nil {
		t.Errorf("after a oneway: %v, want nil", got)
	}
}

// wantServes checks that p still answers, once what the test did is over,
// and that it took conns connections in all.
func wantServes(t *testing.T, p *proxy.Proxy, f *fakeServer, conns int32) {
	t.Helper()
	if v, err := p.Call(testCtx(t), "echo", "after"); err != nil || v != "after" {
		t.Fatalf("echo afterwards: %v, %v", v, err)
	}
	if n := f.accepted.Load(); n != conns {
		t.Errorf("%d connections, want %d", n, conns)
	}
}
