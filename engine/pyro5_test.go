package engine_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestPyro5ClientMatchesPyro5EchoServer runs the real Pyro5 client against
// Pyro5's own echo server and against gyro's, in each of Pyro5's
// serializers, and requires the same observations from both: values,
// exception classes and texts, metadata, streams, batches, attributes.
func TestPyro5ClientMatchesPyro5EchoServer(t *testing.T) {
	pyrotest.Pyro5Env(t)
	ref := pyrotest.Start5(t, []string{"-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1"},
		regexp.MustCompile(`^echo uri: (PYRO:\S+)$`))
	_, uri := startEcho(t, nil)
	for _, ser := range []string{"serpent", "marshal", "json", "msgpack"} {
		t.Run(ser, func(t *testing.T) {
			if ser == "msgpack" {
				pyrotest.RequireModule(t, "msgpack")
			}
			want := pyro5Observations(t, ref.Match[1], ser)
			got := pyro5Observations(t, uri, ser)
			if len(want) < 40 {
				t.Fatalf("only %d observations from Pyro5's echo server:\n%s", len(want), strings.Join(want, "\n"))
			}
			for i := range max(len(want), len(got)) {
				var w, g string
				if i < len(want) {
					w = want[i]
				}
				if i < len(got) {
					g = got[i]
				}
				if w != g {
					t.Errorf("observation %d:\n pyro5: %s\n  gyro: %s", i, w, g)
				}
			}
		})
	}
}

// pyro5Observations runs testdata/pyro5_client.py against uri.
func pyro5Observations(t *testing.T, uri, ser string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.RunScript(t, ctx, "testdata/pyro5_client.py", []string{uri, ser}, "", pyrotest.Pyro5Env(t)...)
	if err != nil {
		t.Fatalf("pyro5 client against %s: %v\n%s", uri, err, out)
	}
	var obs []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "OBS ") {
			obs = append(obs, line)
		}
	}
	return obs
}

// TestPyro4AndPyro5ClientsOnOneDaemon holds a Pyro4 and a Pyro5 connection
// to one daemon open at once (one interpreter imports both) and calls
// through both in turn.
func TestPyro4AndPyro5ClientsOnOneDaemon(t *testing.T) {
	pyrotest.Python(t)
	_, uri := startEcho(t, nil)
	script := `
import sys, Pyro4, Pyro5.api
uri = sys.argv[1]
p4, p5 = Pyro4.Proxy(uri), Pyro5.api.Proxy(uri)
p4._pyroBind(); p5._pyroBind()
for i in range(20):
    assert p4.echo(("four", i)) == ("four", i)
    assert p5.echo(("five", i)) == ("five", i)
for p, errors in ((p4, Pyro4.errors), (p5, Pyro5.errors)):
    try:
        p._pyroInvoke("nope", (), {})
    except AttributeError as e:
        assert "has no attribute 'nope'" in str(e), e
try:
    p4.error()
except ValueError as e:
    assert str(e) == "expected error from echoserver error() method", e
try:
    p5.error()
except ValueError as e:
    assert str(e) == "this is the generated error from echoserver echo() method", e
print(list(p4.generator()), list(p5.generator()))
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.RunScript(t, ctx, "-c", []string{script, uri}, "", pyrotest.Pyro5Env(t)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "['one', 'two', 'three'] ['one', 'two', 'three']\n"; out != want {
		t.Fatalf("printed %q, want %q", out, want)
	}
}

// rawClient5 speaks protocol 502 frames by hand.
type rawClient5 struct {
	t   *testing.T
	nc  net.Conn
	seq uint16
}

func dialRaw5(t *testing.T, d *engine.Daemon) *rawClient5 {
	t.Helper()
	nc, err := net.Dial("tcp", d.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	t.Cleanup(func() { nc.Close() })
	return &rawClient5{t: t, nc: nc}
}

func (c *rawClient5) send(m *wire.Message5) {
	c.t.Helper()
	b, err := wire.Append5(nil, m, &wire.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient5) recv() *wire.Message5 {
	c.t.Helper()
	m, err := wire.ReadMessage5(c.nc, &wire.Options{})
	if err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	return m
}

func (c *rawClient5) connect(object string, sid int) *wire.Message5 {
	c.t.Helper()
	codec, err := serial.ByID5(sid)
	if err != nil {
		c.t.Fatal(err)
	}
	data, err := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", object), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(&wire.Message5{Type: wire.MsgConnect, SerializerID: uint8(sid), Data: data})
	return c.recv()
}

func (c *rawClient5) handshake(object string) {
	c.t.Helper()
	if m := c.connect(object, serial.ID5Serpent); m.Type != wire.MsgConnectOK {
		c.t.Fatalf("handshake: got type %d: %q", m.Type, m.Data)
	}
}

func (c *rawClient5) invoke(m *wire.Message5, object, method string, args ...any) (*wire.Message5, any) {
	c.t.Helper()
	c.seq++
	data, err := serial.Serpent5.MarshalCall(nil, &serial.Call{Object: object, Method: method, Args: args}, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	m.Type, m.Seq, m.SerializerID, m.Data = wire.MsgInvoke, c.seq, serial.ID5Serpent, data
	c.send(m)
	r := c.recv()
	if r.Seq != c.seq {
		c.t.Fatalf("reply seq %d, want %d", r.Seq, c.seq)
	}
	v, err := serial.Serpent5.Unmarshal(r.Data)
	if err != nil {
		c.t.Fatalf("decoding reply: %v", err)
	}
	return r, v
}

func (c *rawClient5) expectClosed() {
	c.t.Helper()
	var b [1]byte
	if n, err := c.nc.Read(b[:]); n != 0 || err == nil {
		c.t.Fatalf("expected the daemon to close the connection, got %d bytes, err %v", n, err)
	}
}

// CallInfo reports what the engine tells Go code about the call.
type CallInfo struct{}

func (CallInfo) Info(ctx context.Context) (int, string) {
	cc, _ := dispatch.FromContext(ctx)
	return cc.Protocol, hex.EncodeToString(cc.CorrelationID[:])
}

func TestPyro5CallContextAndCorrelationID(t *testing.T) {
	d := startCalc(t, nil)
	if _, err := d.Register(CallInfo{}, "info", false); err != nil {
		t.Fatal(err)
	}
	c := dialRaw5(t, d)
	c.handshake("info")

	id := [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	r, v := c.invoke(&wire.Message5{Flags: wire.Flag5CorrID, CorrID: id}, "info", "info")
	if want := (pyval.Tuple{int64(wire.Pyro5), hex.EncodeToString(id[:])}); !pyval.Equal(v, want) {
		t.Errorf("info() = %v, want %v", v, want)
	}
	if r.Flags&wire.Flag5CorrID == 0 || r.CorrID != id {
		t.Errorf("reply flags %v id %x, want CORR_ID and the request's id", r.Flags, r.CorrID)
	}

	// without an id, Pyro5's daemon makes one and sends it back
	r, v = c.invoke(&wire.Message5{}, "info", "info")
	tup, _ := v.(pyval.Tuple)
	if len(tup) != 2 || tup[1] == hex.EncodeToString(make([]byte, 16)) || r.Flags&wire.Flag5CorrID == 0 ||
		tup[1] != hex.EncodeToString(r.CorrID[:]) {
		t.Errorf("info() = %v, reply flags %v id %x: want a fresh id, also in the reply", v, r.Flags, r.CorrID)
	}

	// a Pyro4 client of the same daemon is told its own generation
	c4 := dialRaw(t, d)
	c4.handshake("info")
	if _, v := c4.invoke("info", "info"); !pyval.Equal(v.(pyval.Tuple)[0], int64(wire.Pyro4)) {
		t.Errorf("Pyro4 info() = %v, want protocol 48", v)
	}
}

func TestPyro5PingAndFlags(t *testing.T) {
	d := startCalc(t, nil)
	c := dialRaw5(t, d)
	c.handshake("calc")
	c.send(&wire.Message5{Type: wire.MsgPing, Seq: 7, SerializerID: 42, Data: []byte("ping")})
	if r := c.recv(); r.Type != wire.MsgPing || r.Seq != 7 || r.SerializerID != 42 || string(r.Data) != "pong" {
		t.Errorf("ping reply %+v", r)
	}
	// an exception goes out with Pyro5's class names (Serpent5 decodes
	// them to gyro's Pyro4 model)
	r, v := c.invoke(&wire.Message5{}, "nosuchobject", "x")
	exc, ok := v.(*pyval.Exception)
	if r.Flags&wire.Flag5Exception == 0 || !ok || exc.Class != "Pyro4.errors.DaemonError" {
		t.Fatalf("reply flags %v value %v", r.Flags, v)
	}
	if !strings.Contains(string(r.Data), "Pyro5.errors.DaemonError") {
		t.Errorf("exception not sent as Pyro5.errors.DaemonError: %s", r.Data)
	}
	// a oneway call gets no reply: the next reply is the next call's
	data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "add", Args: []any{int64(1), int64(2)}}, nil)
	c.send(&wire.Message5{Type: wire.MsgInvoke, Flags: wire.Flag5Oneway, Seq: 100, SerializerID: serial.ID5Serpent, Data: data})
	if r, v := c.invoke(&wire.Message5{}, "calc", "add", int64(2), int64(3)); r.Seq == 100 || !pyval.Equal(v, int64(5)) {
		t.Errorf("after a oneway call: seq %d value %v", r.Seq, v)
	}
}

func TestPyro5HandshakeFailures(t *testing.T) {
	d := startCalc(t, nil)
	for _, tc := range []struct {
		name   string
		object string
		sid    int
		want   string
	}{
		{"unknown object", "nope", serial.ID5Serpent, "unknown object"},
		{"json", "nope", serial.ID5JSON, "unknown object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw5(t, d)
			m := c.connect(tc.object, tc.sid)
			if m.Type != wire.MsgConnectFail || int(m.SerializerID) != tc.sid {
				t.Fatalf("got type %d serializer %d", m.Type, m.SerializerID)
			}
			codec, _ := serial.ByID5(tc.sid)
			if v, err := codec.Unmarshal(m.Data); err != nil || v != tc.want {
				t.Errorf("reason %v (%v), want %q", v, err, tc.want)
			}
			c.expectClosed()
		})
	}
	t.Run("no object", func(t *testing.T) {
		// Pyro5 5.15's daemon reads data["object"] and answers the
		// KeyError's text with the request's seq (run on the wire)
		c := dialRaw5(t, d)
		data, _ := serial.Serpent5.Marshal(nil, pyval.DictOf("handshake", "hello"), nil)
		c.send(&wire.Message5{Type: wire.MsgConnect, Seq: 7, SerializerID: serial.ID5Serpent, Data: data})
		m := c.recv()
		if m.Type != wire.MsgConnectFail || m.Seq != 7 {
			t.Fatalf("got type %d seq %d, want CONNECTFAIL seq 7", m.Type, m.Seq)
		}
		if v, err := serial.Serpent5.Unmarshal(m.Data); err != nil || v != "'object'" {
			t.Errorf("reason %v (%v), want 'object'", v, err)
		}
	})
}

// TestPyro5RefusedWithHMAC: protocol 502 has no HMAC, so a daemon that
// requires one refuses Pyro5 clients instead of serving them unsigned.
func TestPyro5RefusedWithHMAC(t *testing.T) {
	d := startCalc(t, func(o *engine.Options) { o.HMACKey = []byte("secret") })
	c := dialRaw5(t, d)
	m := c.connect("calc", serial.ID5Serpent)
	if m.Type != wire.MsgConnectFail {
		t.Fatalf("got type %d, want CONNECTFAIL", m.Type)
	}
	codec, _ := serial.ByID5(int(m.SerializerID))
	if v, err := codec.Unmarshal(m.Data); err != nil || v != wire.ErrNoHMAC5.Error() {
		t.Errorf("reason %v (%v)", v, err)
	}
	c.expectClosed()
}

func TestPyro5OversizeCloses(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 1000
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	c := dialRaw5(t, d)
	c.handshake("calc")
	if _, v := c.invoke(&wire.Message5{}, "calc", "add", int64(1), int64(2)); !pyval.Equal(v, int64(3)) {
		t.Fatalf("add = %v", v)
	}
	data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "calc", Method: "add", Args: []any{strings.Repeat("x", 2000), ""}}, nil)
	c.send(&wire.Message5{Type: wire.MsgInvoke, Seq: 9, SerializerID: serial.ID5Serpent, Data: data})
	c.expectClosed()
}

func TestPyro5CommTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.CommTimeout = 100 * time.Millisecond
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	c := dialRaw5(t, d)
	c.handshake("calc")
	if cfg.ServerType == "multiplex" {
		// Pyro's multiplex server times out only half-received messages
		c.nc.Write([]byte("PYRO\x01\xf6\x04\x01\x00\x00"))
	}
	c.expectClosed()
}

// TestGoPyro5ProxyCallsGyro: gyro's proxy speaking Pyro5 to gyro's daemon,
// in every serializer, and the daemon's call context telling the methods.
func TestGoPyro5ProxyCallsGyro(t *testing.T) {
	d, uri := startEcho(t, nil)
	if _, err := d.Register(CallInfo{}, "info", false); err != nil {
		t.Fatal(err)
	}
	for _, ser := range []string{"serpent", "json", "marshal", "msgpack"} {
		t.Run(ser, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cfg := config.Default()
			cfg.Serializer = ser
			p, err := proxy.New(uri, proxy.Options{Config: &cfg, Protocol: wire.Pyro5})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			u := pyval.MustParseURI("PYRO:x@127.0.0.1:5555")
			if v, err := p.Call(ctx, "echo", pyval.Tuple{"hello", u}); err != nil || !pyval.Equal(v, pyval.Tuple{"hello", u}) && !pyval.Equal(v, []any{"hello", u}) {
				t.Fatalf("echo = %v, %v", v, err)
			}
			_, err = p.Call(ctx, "error")
			var exc *pyval.Exception
			if !errors.As(err, &exc) || exc.Message() != "this is the generated error from echoserver echo() method" {
				t.Errorf("error() = %v", err)
			}
			_, err = p.Call(ctx, "nope")
			if !errors.Is(err, proxy.ErrNotExposed) {
				t.Errorf("nope() = %v", err)
			}
			info, err := proxy.New(strings.Replace(uri, "test.echoserver", "info", 1), proxy.Options{Config: &cfg, Protocol: wire.Pyro5})
			if err != nil {
				t.Fatal(err)
			}
			defer info.Close()
			v, err := info.Call(ctx, "info")
			tup, _ := v.(pyval.Tuple)
			if l, ok := v.([]any); ok {
				tup = l
			}
			if err != nil || len(tup) != 2 || !pyval.Equal(tup[0], int64(wire.Pyro5)) {
				t.Errorf("info() = %v, %v", v, err)
			}
		})
	}
}

// BlobTaker receives SerializedBlobs.
type BlobTaker struct{}

func (BlobTaker) Take(arg any) (pyval.Tuple, error) {
	b, ok := arg.(*engine.SerializedBlob)
	if !ok {
		return nil, fmt.Errorf("not a blob: %T", arg)
	}
	v, err := b.Deserialized()
	return pyval.Tuple{b.Info, v}, err
}

// TestSerializedBlobFromBothGenerations: a KEEPSERIALIZED call from Pyro4's
// and from Pyro5's client decodes in the serializer numbering of its
// generation (json is 2 in Pyro4 and 3 in Pyro5).
func TestSerializedBlobFromBothGenerations(t *testing.T) {
	pyrotest.Python(t)
	d, uri := startEcho(t, nil)
	if _, err := d.Register(BlobTaker{}, "blobs", false); err != nil {
		t.Fatal(err)
	}
	uri = strings.Replace(uri, "test.echoserver", "blobs", 1)
	script := `
import sys, Pyro4, Pyro4.core, Pyro5.api
uri = sys.argv[1]
for ser in ("json", "marshal", "serpent"):
    Pyro4.config.SERIALIZER = ser
    Pyro5.api.config.SERIALIZER = ser
    p4, p5 = Pyro4.Proxy(uri), Pyro5.api.Proxy(uri)
    print(ser, p4.take(Pyro4.core.SerializedBlob("four", ([1, 2], "x"))), p5.take(Pyro5.api.SerializedBlob("five", ([3], "y"))))
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.RunScript(t, ctx, "-c", []string{script, uri}, "", pyrotest.Pyro5Env(t)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := `json ['four', [[1, 2], 'x']] ['five', [[3], 'y']]
marshal ('four', ([1, 2], 'x')) ('five', ([3], 'y'))
serpent ('four', ([1, 2], 'x')) ('five', ([3], 'y'))
`
	if out != want {
		t.Errorf("client printed\n%s\nwant\n%s", out, want)
	}
}

// Doubler is handed out by Factory as an autoproxy. It has a field:
// autoproxy finds objects by address, which zero-size values share.
type Doubler struct{ _ int }

func (*Doubler) Double(n int) int { return 2 * n }

// Factory returns a registered object, which autoproxy replaces with a
// proxy, and Go values holding class-dict values.
type Factory struct{ d *Doubler }

func (f *Factory) Get() *Doubler { return f.d }

func (f *Factory) Addresses() []pyval.URI {
	return []pyval.URI{pyval.MustParseURI("PYRO:x@127.0.0.1:5555")}
}

// TestPyro5ClientGetsAutoproxyAndGoValues: what the daemon substitutes
// (autoproxy) and class-dict values inside plain Go results reach a Pyro5
// client with Pyro5's class names.
func TestPyro5ClientGetsAutoproxyAndGoValues(t *testing.T) {
	d, uri := startEcho(t, nil)
	f := &Factory{d: &Doubler{}}
	if _, err := d.Register(f.d, "doubler", false); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Register(f, "factory", false); err != nil {
		t.Fatal(err)
	}
	script := `
import sys, Pyro5.api
p = Pyro5.api.Proxy(sys.argv[1])
q = p.get()
print(type(q).__name__, q._pyroUri.object, q.double(21))
print([str(u) for u in p.addresses()])
`
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.RunScript(t, ctx, "-c", []string{script, strings.Replace(uri, "test.echoserver", "factory", 1)}, "", pyrotest.Pyro5Env(t)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if want := "Proxy doubler 42\n['PYRO:x@127.0.0.1:5555']\n"; out != want {
		t.Errorf("client printed %q, want %q", out, want)
	}
}

// TestPyro5ThreadPoolFull: a Pyro5 client refused for want of a worker
// gets the CONNECTFAIL in its own protocol, with its seq.
func TestPyro5ThreadPoolFull(t *testing.T) {
	cfg := testConfig()
	if cfg.ServerType != "thread" {
		t.Skip("the worker pool belongs to the thread server type")
	}
	cfg.ThreadPoolSize, cfg.ThreadPoolSizeMin = 1, 1
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	c1 := dialRaw5(t, d)
	c1.handshake("calc") // holds the only worker
	c2 := dialRaw5(t, d)
	hs, _ := serial.Serpent5.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "calc"), nil)
	c2.send(&wire.Message5{Type: wire.MsgConnect, Seq: 5, SerializerID: serial.ID5Serpent, Data: hs})
	m := c2.recv()
	if m.Type != wire.MsgConnectFail || m.Seq != 5 {
		t.Fatalf("got type %d seq %d", m.Type, m.Seq)
	}
	codec, _ := serial.ByID5(int(m.SerializerID))
	if v, err := codec.Unmarshal(m.Data); err != nil || v != "no free workers, increase server threadpool size" {
		t.Errorf("reason %v (%v)", v, err)
	}
}
