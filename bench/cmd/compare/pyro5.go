package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// dial5 does the protocol 502 handshake on c and prepares its echo
// request, as a Pyro5 proxy sends them (seq and inflight workloads).
func (c *conn) dial5(w workload) error {
	if w.mode != "seq" && w.mode != "inflight" && w.mode != "pipe" {
		return fmt.Errorf("pyro5 workloads are seq, inflight or pipe, not %s", w.mode)
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
	if err != nil || w.mode != "pipe" {
		return err
	}
	// a round of pipe: owBatch oneway calls, as a Pyro5 proxy sends them
	// for an @oneway method, then the echo call whose reply ends it
	owData, err := codec.MarshalCall(nil, &serial.Call{Object: benchobj.ObjectID, Method: "oneway", Args: []any{strings.Repeat("x", w.size)}, Kwargs: pyval.DictOf()}, nil)
	if err != nil {
		return err
	}
	one, err := wire.Append5(nil, &wire.Message5{Type: wire.MsgInvoke, Flags: wire.Flag5Oneway, Seq: 2, SerializerID: uint8(w.ser), Data: owData}, nil)
	if err != nil {
		return err
	}
	c.ow = c.ow[:0]
	for range owBatch {
		c.ow = append(c.ow, one...)
	}
	c.ow = append(c.ow, c.req...)
	return nil
}

// Pyro5's own daemon (bench/pyro5server.py, Pyro5 5.15 from the directory
// scripts/pyro5-deps.sh fills) is the reference of the Pyro5 workloads, as
// Pyro4's is of the Pyro4 ones.
const pyro5Prefix = "pyro5-"

// pyro5Targets returns Pyro5's thread and multiplex daemons, or none when
// the script or Pyro5 5.15 is missing.
func pyro5Targets() []target {
	dir, err := pyrotest.Pyro5Dir()
	if err != nil {
		return nil
	}
	_, file, _, _ := runtime.Caller(0)
	for _, p := range []string{filepath.Join(filepath.Dir(file), "..", "..", "pyro5server.py"), "bench/pyro5server.py"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		check := exec.Command("/usr/bin/python3", "-c", `import Pyro5; assert Pyro5.__version__ == "`+pyrotest.Pyro5Version+`"`)
		check.Env = append(os.Environ(), "PYTHONPATH="+dir)
		if check.Run() != nil {
			fmt.Fprintln(os.Stderr, "compare: no Pyro5 "+pyrotest.Pyro5Version+" (run scripts/pyro5-deps.sh): skipping the pyro5 targets")
			return nil
		}
		var ts []target
		for _, st := range []string{"thread", "multiplex"} {
			ts = append(ts, target{name: pyro5Prefix + st, kind: kPyro, cmd: []string{"/usr/bin/env", "PYTHONPATH=" + dir, "/usr/bin/python3", p, st}})
		}
		return ts
	}
	return nil
}

// runsIn reports whether target t speaks workload w's protocol generation:
// gyro's types speak both, echo-gnet (the reference of every ratio) echoes
// any frame, Pyro4's and Pyro5's daemons only their own; a target that
// serves another object than w calls does not run it.
func runsIn(t target, w workload) bool {
	if t.obj != w.obj {
		// the echo servers serve test.echoserver, the others bench.py's
		// object; echo-gnet echoes any frame
		return t.name == "echo-gnet"
	}
	switch {
	case strings.HasPrefix(t.name, "gyro-") || t.name == "echo-gnet":
		return true
	case w.gen == wire.Pyro5:
		return strings.HasPrefix(t.name, pyro5Prefix)
	}
	return !strings.HasPrefix(t.name, pyro5Prefix)
}

// pyroRef is the Python daemon gyro's rates are compared with in w.
func pyroRef(w workload) string {
	if w.obj == echoObj {
		return pyro4Echo
	}
	if w.gen == wire.Pyro5 {
		return pyro5Prefix + "thread"
	}
	return "pyro4-thread"
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
