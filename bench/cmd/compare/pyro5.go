package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// dial5 does the protocol 502 handshake on c and prepares its echo
// request, as a Pyro5 proxy sends them (seq and inflight workloads).
func (c *conn) dial5(w workload) error {
	if w.mode != "seq" && w.mode != "inflight" {
		return fmt.Errorf("pyro5 workloads are seq or inflight, not %s", w.mode)
	}
	c.gen5 = true
	codec, err := serial.ByID5(w.ser)
	if err != nil {
		return err
	}
	hs, _ := codec.Marshal(nil, pyval.DictOf("handshake", "hello", "object", benchobj.ObjectID), nil)
	f, _ := wire.Append5(nil, &wire.Message5{Type: wire.MsgConnect, SerializerID: uint8(w.ser), Data: hs}, nil)
	if _, err := c.nc.Write(f); err != nil {
		return err
	}
	m, err := wire.ReadMessage5(c.br, nil)
	if err != nil {
		return err
	}
	if m.Type != wire.MsgConnectOK {
		return fmt.Errorf("handshake refused: %v %q", m.Type, m.Data)
	}
	data, err := codec.MarshalCall(nil, &serial.Call{Object: benchobj.ObjectID, Method: "echo", Args: []any{strings.Repeat("x", w.size)}, Kwargs: pyval.DictOf()}, nil)
	if err != nil {
		return err
	}
	c.req, err = wire.Append5(nil, &wire.Message5{Type: wire.MsgInvoke, Seq: 1, SerializerID: uint8(w.ser), Data: data}, nil)
	return err
}

// readFrame5 reads one protocol 502 reply.
func (c *conn) readFrame5() error {
	c.buf = slices.Grow(c.buf[:0], wire.HeaderSize5)[:wire.HeaderSize5]
	if _, err := io.ReadFull(c.br, c.buf); err != nil {
		return err
	}
	h, err := wire.ParseHeader5(c.buf)
	if err != nil {
		return err
	}
	if h.Flags&wire.Flag5Exception != 0 {
		return fmt.Errorf("remote exception")
	}
	_, err = c.br.Discard(h.FrameSize() - wire.HeaderSize5)
	return err
}
