package engine_test

import (
	"bytes"
	"compress/zlib"
	"testing"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// rawFrame builds a frame by hand: flags, annotations and data are sent
// as given, so the payload may claim to be compressed and not be.
func rawFrame(typ, flags, seq uint16, sid uint16, anns, data []byte) []byte {
	return append(append(header(typ, flags, seq, len(data), len(anns), sid), anns...), data...)
}

func deflate(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func callData(t *testing.T, codec serial.Codec, method string, args ...any) []byte {
	t.Helper()
	data, err := codec.MarshalCall(nil, &serial.Call{Object: "calc", Method: method, Args: args}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const (
	flagCompressed = uint16(wire.FlagCompressed)
	flagOneway     = uint16(wire.FlagOneway)
)

// TestBadCompressedCall: a call whose payload does not inflate is answered
// as Pyro4 4.82 answers it (a zlib.error exception in a RESULT with the
// request's seq and serializer), and the connection goes on serving.
func TestBadCompressedCall(t *testing.T) {
	d := startCalc(t, nil)
	tests := []struct {
		name  string
		sid   uint16
		flags uint16
		data  func(t *testing.T, codec serial.Codec) []byte
		want  string // "" for a oneway: no reply
	}{
		{"garbage", serial.IDSerpent, flagCompressed, func(*testing.T, serial.Codec) []byte { return []byte("garbage!!") },
			"Error -3 while decompressing data: incorrect header check"},
		{"garbage marshal", serial.IDMarshal, flagCompressed, func(*testing.T, serial.Codec) []byte { return []byte("garbage!!") },
			"Error -3 while decompressing data: incorrect header check"},
		{"truncated", serial.IDJSON, flagCompressed, func(t *testing.T, c serial.Codec) []byte {
			z := deflate(t, callData(t, c, "add", 1, 2))
			return z[:len(z)-4]
		}, "Error -5 while decompressing data: incomplete or truncated stream"},
		{"oneway garbage", serial.IDSerpent, flagCompressed | flagOneway, func(*testing.T, serial.Codec) []byte { return []byte("garbage!!") }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			codec, _ := serial.ByID(int(tt.sid))
			c := dialRaw(t, d)
			c.handshake("calc")
			c.nc.Write(rawFrame(uint16(wire.MsgInvoke), tt.flags, 7, tt.sid, nil, tt.data(t, codec)))
			if tt.want != "" {
				m := c.recv()
				if m.Type != wire.MsgResult || m.Flags&wire.FlagException == 0 || m.Seq != 7 || int(m.SerializerID) != int(tt.sid) {
					t.Fatalf("reply type %d flags %#x seq %d serializer %d", m.Type, m.Flags, m.Seq, m.SerializerID)
				}
				// like Pyro4's proxies, gyro's decoders refuse the class
				// zlib.error, so look at the encoded exception itself
				if !bytes.Contains(m.Data, []byte("zlib.error")) || !bytes.Contains(m.Data, []byte(tt.want)) {
					t.Fatalf("reply %q, want a zlib.error %q", m.Data, tt.want)
				}
			}
			// the connection is still served
			c.nc.Write(rawFrame(uint16(wire.MsgInvoke), 0, 8, tt.sid, nil, callData(t, codec, "add", 2, 3)))
			m := c.recv()
			v, err := codec.Unmarshal(m.Data)
			if m.Seq != 8 || err != nil || v != int64(5) {
				t.Fatalf("add after the bad call: seq %d, %v (%v)", m.Seq, v, err)
			}
		})
	}
}

// TestInflatedTooLarge: a payload inflating past the limit (a zlib bomb)
// is treated as Pyro4 treats an oversize message: the connection is closed
// without a reply, before and after the handshake.
func TestInflatedTooLarge(t *testing.T) {
	cfg := testConfig()
	cfg.MaxMessageSize = 64 << 10
	d := startCalc(t, func(o *engine.Options) { o.Config = &cfg })
	bomb := deflate(t, make([]byte, 4<<20))
	t.Run("after the handshake", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		c.nc.Write(rawFrame(uint16(wire.MsgInvoke), flagCompressed, 3, serial.IDSerpent, nil, bomb))
		c.expectClosed()
	})
	t.Run("handshake", func(t *testing.T) {
		c := dialRaw(t, d)
		c.nc.Write(rawFrame(uint16(wire.MsgConnect), flagCompressed, 3, serial.IDSerpent, nil, bomb))
		c.expectClosed()
	})
	t.Run("still serving", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		if _, v := c.invoke("calc", "add", int64(2), int64(3)); v != int64(5) {
			t.Errorf("add = %v", v)
		}
	})
}

// TestHandshakeBodyFailures: frames whose header is good but whose body is
// not, sent as the first message, get the CONNECTFAIL Pyro4 4.82 sends
// (checked against it: the reasons are the Python errors its reader meets).
func TestHandshakeBodyFailures(t *testing.T) {
	d := startCalc(t, nil)
	hs, err := serial.Serpent.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "calc"), nil)
	if err != nil {
		t.Fatal(err)
	}
	connect := uint16(wire.MsgConnect)
	tests := []struct {
		name    string
		frame   []byte
		seq     uint16
		sid     int
		want    string
		hasCorr bool
	}{
		{"negative data length", header(connect, 0, 5, -10, 0, serial.IDSerpent), 0, serial.IDMarshal, "negative buffersize in recv", false},
		{"short annotation chunk", rawFrame(connect, 0, 5, serial.IDSerpent, []byte("CO"), hs), 0, serial.IDMarshal, "unpack requires a buffer of 6 bytes", false},
		{"garbage zlib", rawFrame(connect, flagCompressed, 5, serial.IDSerpent, nil, []byte("garbage!!")), 5, serial.IDSerpent,
			"Error -3 while decompressing data: incorrect header check", true},
		{"truncated zlib", rawFrame(connect, flagCompressed, 5, serial.IDSerpent, nil, func() []byte { z := deflate(t, hs); return z[:len(z)-3] }()), 5, serial.IDSerpent,
			"Error -5 while decompressing data: incomplete or truncated stream", true},
		{"invoke with garbage zlib", rawFrame(uint16(wire.MsgInvoke), flagCompressed, 5, serial.IDSerpent, nil, []byte("garbage!!")), 0, serial.IDMarshal,
			"invalid msg type 4 received", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialRaw(t, d)
			c.nc.Write(tt.frame)
			m := c.recv()
			if got := connectFailReason(t, m, tt.sid); got != tt.want || m.Seq != tt.seq {
				t.Errorf("reason %q seq %d, want %q seq %d", got, m.Seq, tt.want, tt.seq)
			}
			if _, corr := m.Annotation("CORR"); corr != tt.hasCorr {
				t.Errorf("CORR annotation %v, want %v", corr, tt.hasCorr)
			}
			c.expectClosed()
		})
	}
}
