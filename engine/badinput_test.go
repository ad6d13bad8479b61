package engine_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// rawClient speaks frames by hand, to send what no proper client would.
type rawClient struct {
	t   *testing.T
	nc  net.Conn
	seq uint16
	// recvOpts checks replies; a test that expects a signed reply sets a key.
	recvOpts wire.Options
}

func dialRaw(t *testing.T, d *engine.Daemon) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", d.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second)) // a hung daemon fails the test instead of hanging it
	t.Cleanup(func() { nc.Close() })
	return &rawClient{t: t, nc: nc}
}

func (c *rawClient) send(m *wire.Message) {
	c.t.Helper()
	b, err := wire.Append(nil, m, &wire.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) recv() *wire.Message {
	c.t.Helper()
	m, err := wire.ReadMessage(c.nc, &c.recvOpts)
	if err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	return m
}

// expectClosed asserts the daemon closed the connection without a reply.
func (c *rawClient) expectClosed() {
	c.t.Helper()
	var b [1]byte
	n, err := c.nc.Read(b[:])
	if n != 0 || !(errors.Is(err, io.EOF) || isReset(err)) {
		c.t.Fatalf("expected the daemon to close the connection, got %d bytes, err %v", n, err)
	}
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "reset") }

func (c *rawClient) connect(object string, sid int) *wire.Message {
	c.t.Helper()
	codec, _ := serial.ByID(sid)
	data, err := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", object), nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(&wire.Message{Type: wire.MsgConnect, Flags: wire.FlagMetaOnConnect, SerializerID: uint16(sid), Data: data})
	return c.recv()
}

func (c *rawClient) handshake(object string) {
	c.t.Helper()
	if m := c.connect(object, serial.IDSerpent); m.Type != wire.MsgConnectOK {
		c.t.Fatalf("handshake: got type %d: %q", m.Type, m.Data)
	}
}

// request sends a call without waiting for its reply.
func (c *rawClient) request(object, method string, args ...any) {
	c.t.Helper()
	c.seq++
	data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: object, Method: method, Args: args}, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(&wire.Message{Type: wire.MsgInvoke, Seq: c.seq, SerializerID: serial.IDSerpent, Data: data})
}

func (c *rawClient) invoke(object, method string, args ...any) (*wire.Message, any) {
	c.t.Helper()
	c.request(object, method, args...)
	m := c.recv()
	if m.Seq != c.seq {
		c.t.Fatalf("reply seq %d, want %d", m.Seq, c.seq)
	}
	v, err := serial.Serpent.Unmarshal(m.Data)
	if err != nil {
		c.t.Fatalf("decoding reply: %v", err)
	}
	return m, v
}

// connectFailReason decodes a CONNECTFAIL and checks it is marshal-encoded
// when the failure came before the serializer was known.
func connectFailReason(t *testing.T, m *wire.Message, sid int) string {
	t.Helper()
	if m.Type != wire.MsgConnectFail {
		t.Fatalf("got message type %d, want CONNECTFAIL", m.Type)
	}
	if int(m.SerializerID) != sid {
		t.Fatalf("CONNECTFAIL serializer %d, want %d", m.SerializerID, sid)
	}
	codec, _ := serial.ByID(sid)
	v, err := codec.Unmarshal(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := v.(string)
	return s
}

// Calculator has typed parameters, for argument conversion errors.
type Calculator struct{}

func (Calculator) Add(a, b int) int { return a + b }

func startCalc(t *testing.T, mutate func(*engine.Options)) *engine.Daemon {
	d, _ := startEcho(t, mutate)
	if _, err := d.Register(Calculator{}, "calc", false); err != nil {
		t.Fatal(err)
	}
	return d
}

func header(typ, flags, seq uint16, dataLen, annLen int, sid uint16) []byte {
	b := make([]byte, wire.HeaderSize)
	copy(b, "PYRO")
	binary.BigEndian.PutUint16(b[4:], wire.ProtocolVersion)
	binary.BigEndian.PutUint16(b[6:], typ)
	binary.BigEndian.PutUint16(b[8:], flags)
	binary.BigEndian.PutUint16(b[10:], seq)
	binary.BigEndian.PutUint32(b[12:], uint32(dataLen))
	binary.BigEndian.PutUint16(b[16:], sid)
	binary.BigEndian.PutUint16(b[18:], uint16(annLen))
	sum := uint16(int(typ) + wire.ProtocolVersion + dataLen + annLen + int(sid) + int(flags) + int(seq) + 0x34E9)
	binary.BigEndian.PutUint16(b[22:], sum)
	return b
}

func TestHandshakeFailures(t *testing.T) {
	d := startCalc(t, nil)
	tests := []struct {
		name  string
		frame []byte
		want  string
	}{
		{"garbage header", []byte("GET / HTTP/1.0\r\n\r\nxxxxxxx"), "invalid data or unsupported protocol version"},
		{"wrong version", func() []byte { b := header(1, 0, 0, 0, 0, 3); b[5] = 47; return b }(), "invalid data or unsupported protocol version"},
		{"wrong checksum", func() []byte { b := header(1, 0, 0, 0, 0, 3); b[23]++; return b }(), "header checksum mismatch"},
		{"invoke first", header(4, 0, 0, 0, 0, 3), "invalid msg type 4 received"},
		{"pickle", header(1, 0, 0, 0, 0, serial.IDPickle), "message used serializer that is not accepted: 4"},
		{"unknown serializer", header(1, 0, 0, 0, 0, 99), "message used serializer that is not accepted: 99"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, d)
			c.nc.Write(tt.frame)
			if got := connectFailReason(t, c.recv(), serial.IDMarshal); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
			c.expectClosed()
		})
	}
	t.Run("unknown object", func(t *testing.T) {
		c := dialRaw(t, d)
		if got := connectFailReason(t, c.connect("nope", serial.IDSerpent), serial.IDSerpent); got != "unknown object" {
			t.Errorf("reason %q", got)
		}
	})
	t.Run("metadata without object", func(t *testing.T) {
		// Pyro4 4.82 (and Pyro5 5.15) read data["object"] and answer
		// the KeyError's text, with the request's seq
		c := dialRaw(t, d)
		hs, _ := serial.Serpent.Marshal(nil, pyval.DictOf("handshake", "hello"), nil)
		frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, Flags: wire.FlagMetaOnConnect, Seq: 7, SerializerID: serial.IDSerpent, Data: hs}, nil)
		c.nc.Write(frame)
		m := c.recv()
		if got := connectFailReason(t, m, serial.IDSerpent); got != "'object'" || m.Seq != 7 {
			t.Errorf("reason %q seq %d, want 'object' and 7", got, m.Seq)
		}
	})
	t.Run("still serving", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		if _, v := c.invoke("calc", "add", int64(2), int64(3)); v != int64(5) {
			t.Errorf("add = %v", v)
		}
	})
}

func TestCallErrors(t *testing.T) {
	d := startCalc(t, nil)
	c := dialRaw(t, d)
	c.handshake("calc")
	tests := []struct {
		name, object, method string
		args                 []any
		class, text          string
	}{
		{"unknown object", "nope", "add", nil, pyval.ClassDaemonError, "unknown object"},
		{"unknown method", "calc", "sub", nil, pyval.ClassAttributeError, "sub"},
		{"private method", "calc", "_add", nil, pyval.ClassAttributeError, "private"},
		{"never-remote dunder", "calc", "__init__", nil, pyval.ClassAttributeError, "__init__"},
		{"wrong type", "calc", "add", []any{"2", int64(3)}, pyval.ClassTypeError, "int"},
		{"too many args", "calc", "add", []any{int64(1), int64(2), int64(3)}, pyval.ClassTypeError, "argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, v := c.invoke(tt.object, tt.method, tt.args...)
			exc, ok := v.(*pyval.Exception)
			if m.Flags&wire.FlagException == 0 || !ok {
				t.Fatalf("got %v (flags %#x), want an exception", v, m.Flags)
			}
			if exc.Class != tt.class || !strings.Contains(exc.Message(), tt.text) {
				t.Errorf("got %s(%q), want %s containing %q", exc.Class, exc.Message(), tt.class, tt.text)
			}
			if _, ok := m.Annotation("CORR"); ok {
				t.Error("exception RESULT carries CORR; Pyro4 sends none")
			}
		})
	}
	// the connection stays open after every one of these
	if _, v := c.invoke("calc", "add", int64(40), int64(2)); v != int64(42) {
		t.Fatalf("add after errors = %v", v)
	}
}

func TestBrokenFramesAfterHandshake(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 1000
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	tests := []struct {
		name  string
		frame []byte
	}{
		{"garbage", []byte("this is not a pyro frame at all")},
		{"wrong checksum", func() []byte { b := header(4, 0, 1, 0, 0, 1); b[23]++; return b }()},
		{"oversize", header(4, 0, 1, 5000, 0, 1)},
		{"connect again", header(1, 0, 1, 0, 0, 1)},
		{"result from client", header(5, 0, 1, 0, 0, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, d)
			c.handshake("calc")
			c.nc.Write(tt.frame)
			c.expectClosed()
		})
	}
	t.Run("oversize connect gets no reply", func(t *testing.T) {
		c := dialRaw(t, d)
		c.nc.Write(header(1, 0, 0, 5000, 0, 1))
		c.expectClosed()
	})
	t.Run("truncated frame, peer gone", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		c.nc.Write(header(4, 0, 1, 100, 0, 1)[:10])
		c.nc.Close()
	})
	t.Run("still serving", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		if _, v := c.invoke("calc", "add", int64(1), int64(1)); v != int64(2) {
			t.Errorf("add = %v", v)
		}
	})
}

func TestUnacceptedSerializerAfterHandshake(t *testing.T) {
	cfg := testConfig()
	cfg.SerializersAccepted = "serpent,marshal"
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	c := dialRaw(t, d)
	c.handshake("calc")
	data, _ := serial.JSON.MarshalCall(nil, &serial.Call{Object: "calc", Method: "add", Args: []any{int64(1), int64(2)}}, nil)
	c.send(&wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: serial.IDJSON, Data: data})
	m := c.recv()
	v, err := serial.JSON.Unmarshal(m.Data)
	exc, ok := v.(*pyval.Exception)
	if err != nil || !ok || exc.Class != pyval.ClassSerializeError || m.SerializerID != serial.IDJSON {
		t.Fatalf("got %v %v (serializer %d), want a json SerializeError", v, err, m.SerializerID)
	}
	c.expectClosed()
}

func TestPingAndSeq(t *testing.T) {
	d := startCalc(t, nil)
	c := dialRaw(t, d)
	c.handshake("calc")
	c.send(&wire.Message{Type: wire.MsgPing, Seq: 7, SerializerID: 42, Data: []byte("x")})
	m := c.recv()
	if m.Type != wire.MsgPing || m.Seq != 7 || m.SerializerID != 42 || !bytes.Equal(m.Data, []byte("pong")) {
		t.Fatalf("ping reply %+v", m)
	}
	c.seq = 0xFFFE
	if m, _ := c.invoke("calc", "add", int64(1), int64(1)); m.Seq != 0xFFFF {
		t.Fatalf("seq %d", m.Seq)
	}
	if m, _ := c.invoke("calc", "add", int64(1), int64(1)); m.Seq != 0 {
		t.Fatalf("seq after wrap %d", m.Seq)
	}
}

func TestVanishingClient(t *testing.T) {
	d, _ := startEcho(t, nil)
	c := dialRaw(t, d)
	c.handshake("test.echoserver")
	data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: "test.echoserver", Method: "slow"}, nil)
	c.send(&wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: serial.IDSerpent, Data: data})
	c.nc.Close() // gone mid-call: the reply has nowhere to go
	c2 := dialRaw(t, d)
	c2.handshake("test.echoserver")
	if _, v := c2.invoke("test.echoserver", "echo", "still here"); v != "still here" {
		t.Fatalf("echo = %v", v)
	}
}

func TestThreadPoolFull(t *testing.T) {
	cfg := testConfig()
	if cfg.ServerType != "thread" {
		t.Skip("the worker pool belongs to the thread server type")
	}
	cfg.ThreadPoolSize, cfg.ThreadPoolSizeMin = 1, 1
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	c1 := dialRaw(t, d)
	c1.handshake("calc") // holds the only worker
	c2 := dialRaw(t, d)
	if got := connectFailReason(t, c2.connect("calc", serial.IDSerpent), serial.IDMarshal); got != "no free workers, increase server threadpool size" {
		t.Fatalf("reason %q", got)
	}
	c1.nc.Close()
}

func TestHMACMismatch(t *testing.T) {
	d := startCalc(t, func(o *engine.Options) { o.HMACKey = []byte("secret") })
	c := dialRaw(t, d)                    // sends no HMAC at all
	c.recvOpts.HMACKey = []byte("secret") // the CONNECTFAIL is signed with the daemon's key
	if got := connectFailReason(t, c.connect("calc", serial.IDSerpent), serial.IDMarshal); got != "hmac key config not symmetric" {
		t.Fatalf("reason %q", got)
	}
}

func TestCommTimeoutDropsIdleClient(t *testing.T) {
	cfg := testConfig()
	cfg.CommTimeout = 100 * time.Millisecond
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	c := dialRaw(t, d)
	c.handshake("calc")
	c.expectClosed() // the read blocks until the daemon gives up on us
}

func TestShutdownFromRemoteCall(t *testing.T) {
	cfg := testConfig()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	stopper := &Stopper{d: d}
	d.Register(stopper, "stopper", false)
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	c := dialRaw(t, d)
	c.handshake("stopper")
	if m, v := c.invoke("stopper", "stop"); m.Flags&wire.FlagException != 0 || v != "bye" {
		t.Fatalf("stop() = %v", v)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("RequestLoop did not return after Shutdown")
	}
}

type Stopper struct{ d *engine.Daemon }

func (s *Stopper) Stop() string { s.d.Shutdown(); return "bye" }
