//go:build unix

package engine

import (
	"errors"
	"net"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestMultiplexStepLeavesNoOnewayWaiting: on a single P (GOMAXPROCS=1, as
// in a one-CPU container), a multiplex step that queued a threaded oneway
// call returns only after a worker has taken it. After the step a foreign
// loop (or the daemon's own) blocks in a system call holding that P, and a
// task left in the queue would wait for sysmon to hand the P to another
// thread. The test drives the daemon from its own poll loop, one oneway
// call per step, and looks at the queue after every Events.
func TestMultiplexStepLeavesNoOnewayWaiting(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cfg := config.Default()
	cfg.ServerType = config.ServerMultiplex
	d, err := New(Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	log := &onewayLog{gate: make(chan struct{}), noted: make(chan string, 1)}
	if _, err := d.Register(log, "log", false); err != nil {
		t.Fatal(err)
	}

	// enough steps that a yield which gives way once in 61 is all but
	// certain to leave some call behind
	const calls = 400
	next := make(chan struct{}, 1) // the first waits out the handshake
	clientDone := make(chan error, 1)
	go func() { clientDone <- sendOneways(d.Addr().String(), calls, next) }()

	var sent, stranded int
	steps := 0
	for deadline := time.Now().Add(time.Minute); sent < calls || len(log.order()) < calls; {
		if time.Now().After(deadline) {
			t.Fatalf("after %d steps: %d oneway calls sent, %d ran", steps, sent, len(log.order()))
		}
		select {
		case err := <-clientDone:
			if err != nil {
				t.Fatal(err)
			}
			clientDone = nil
		default:
		}
		socks := d.Sockets()
		fds := make([]unix.PollFd, len(socks))
		for i, s := range socks {
			fds[i] = unix.PollFd{Fd: int32(s), Events: unix.POLLIN}
		}
		// the timeout only bounds a wait for a call that a late worker
		// is still running; the test never relies on it to pass
		if _, err := unix.Poll(fds, 10); err != nil && !errors.Is(err, unix.EINTR) {
			t.Fatal(err)
		}
		var ready []int
		for _, f := range fds {
			if f.Revents&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) != 0 {
				ready = append(ready, int(f.Fd))
			}
		}
		if err := d.Events(ready); err != nil {
			t.Fatal(err)
		}
		steps++
		if queued(d.core.oneways) > 0 {
			stranded++
			log.Await() // let the worker have the P, as sysmon would later
		}
		if ran := len(log.order()); ran == sent && sent < calls {
			sent++
			next <- struct{}{}
		}
	}
	if stranded > 0 {
		t.Errorf("%d of %d oneway calls were still queued when the step that read them returned", stranded, calls)
	}
}

// queued is how many calls wait in q for a worker.
func queued(q *onewayQueue) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ring.Len()
}

// sendOneways connects to addr and sends n oneway calls of log.note, each
// when next receives.
func sendOneways(addr string, n int, next <-chan struct{}) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	hs, err := serial.Serpent.Marshal(nil, pyval.DictOf("handshake", "hello", "object", "log"), nil)
	if err != nil {
		return err
	}
	frame, err := wire.Append(nil, &wire.Message{Type: wire.MsgConnect, Flags: wire.FlagMetaOnConnect, SerializerID: serial.IDSerpent, Data: hs}, nil)
	if err != nil {
		return err
	}
	if _, err := c.Write(frame); err != nil {
		return err
	}
	m, err := wire.ReadMessage(c, nil)
	if err != nil {
		return err
	}
	if m.Type != wire.MsgConnectOK {
		return errors.New("handshake refused: " + string(m.Data))
	}
	for i := range n {
		<-next
		call := serial.Call{Object: "log", Method: "note", Args: []any{"x"}}
		data, err := serial.Serpent.MarshalCall(nil, &call, nil)
		if err != nil {
			return err
		}
		frame, err := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Flags: wire.FlagOneway, Seq: uint16(i + 1), SerializerID: serial.IDSerpent, Data: data}, nil)
		if err != nil {
			return err
		}
		if _, err := c.Write(frame); err != nil {
			return err
		}
	}
	return nil
}
