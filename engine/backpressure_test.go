package engine_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestPipelinerNeverReading: a client that pipelines large calls and
// never reads a reply is stopped being read from (its socket buffers fill
// and its writes block) instead of having its requests and replies pile up
// in the server: the server's heap grows by a few MB at most, whatever
// the client sends. The client writes for a bounded time.
func TestPipelinerNeverReading(t *testing.T) {
	d, _ := startEcho(t, nil)
	c := dialRaw(t, d)
	c.handshake(echo.ObjectID)
	arg := strings.Repeat("x", 64<<10)
	data, err := serial.Serpent.MarshalCall(nil, &serial.Call{Object: echo.ObjectID, Method: "echo", Args: []any{arg}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Seq: 1, SerializerID: serial.IDSerpent, Data: data}, nil)
	if err != nil {
		t.Fatal(err)
	}
	batch := []byte(strings.Repeat(string(frame), 16)) // 1 MiB a write
	base := heapInUse()
	// writes stop when the server stops reading: the deadline bounds the
	// test, and a server that reads on keeps the writes going until then
	c.nc.SetWriteDeadline(time.Now().Add(3 * time.Second))
	sent := 0
	for sent < 256<<20 {
		n, err := c.nc.Write(batch)
		sent += n
		if err != nil {
			break
		}
	}
	grown := int64(heapInUse()) - int64(base)
	t.Logf("client wrote %d MiB before the server stopped reading; server heap grew %d MiB", sent>>20, grown>>20)
	const limit = 48 << 20
	if grown > limit {
		t.Errorf("the server's heap grew by %d MiB for one connection, want at most %d MiB", grown>>20, limit>>20)
	}
	if sent >= 256<<20 {
		t.Errorf("the server read all %d MiB without its replies being read", sent>>20)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestLyingLengthHeader: a header that claims a huge body (and no
// MAX_MESSAGE_SIZE to refuse it) costs the server memory for the bytes
// that really arrive, not for what the header claims.
func TestLyingLengthHeader(t *testing.T) {
	d, _ := startEcho(t, nil)
	base := heapInUse()
	var conns []*rawClient
	for range 8 {
		c := dialRaw(t, d)
		c.handshake(echo.ObjectID)
		c.nc.Write(header(uint16(wire.MsgInvoke), 0, 1, 1<<30, 0, serial.IDSerpent))
		c.nc.Write(make([]byte, 64<<10))
		conns = append(conns, c)
	}
	// a ping on another connection is answered after the eight are read
	p := dialRaw(t, d)
	p.handshake(echo.ObjectID)
	p.send(&wire.Message{Type: wire.MsgPing, Seq: 9, SerializerID: serial.IDSerpent})
	if m := p.recv(); m.Type != wire.MsgPing {
		t.Fatalf("ping: type %d", m.Type)
	}
	grown := int64(heapInUse()) - int64(base)
	if grown > 48<<20 {
		t.Errorf("8 headers claiming 1 GiB each grew the heap by %d MiB", grown>>20)
	}
}
