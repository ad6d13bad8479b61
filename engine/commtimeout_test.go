package engine_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/echo"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestCommTimeoutRule checks the one COMMTIMEOUT rule every server type
// follows: a request must be complete within COMMTIMEOUT of its first
// byte, and a connection with no request in progress and no reply pending
// is closed after COMMTIMEOUT of silence. Calls themselves are not timed.
// Each case waits for the close with a read that the client's own 10 s
// deadline bounds.
func TestCommTimeoutRule(t *testing.T) {
	cfg := testConfig()
	cfg.CommTimeout = 150 * time.Millisecond
	d, _ := startEcho(t, func(o *engine.Options) { o.Config = &cfg })
	if _, err := d.Register(Calculator{}, "calc", false); err != nil {
		t.Fatal(err)
	}

	t.Run("silent before the handshake", func(t *testing.T) {
		c := dialRaw(t, d)
		c.expectClosed()
	})
	t.Run("silent after a call", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		if _, v := c.invoke("calc", "add", int64(1), int64(2)); v != int64(3) {
			t.Fatalf("add = %v", v)
		}
		c.expectClosed()
	})
	t.Run("half a header", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		c.nc.Write(header(uint16(wire.MsgInvoke), 0, 1, 100, 0, serial.IDSerpent)[:10])
		c.expectClosed()
	})
	t.Run("trickling request", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake("calc")
		frame := rawFrame(uint16(wire.MsgInvoke), 0, 1, serial.IDSerpent, nil, callData(t, serial.Serpent, "add", 1, 2))
		// one byte every third of COMMTIMEOUT: each read is well within
		// it, the whole request far beyond it
		var sent atomic.Int64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(cfg.CommTimeout / 3)
			defer tick.Stop()
			for _, b := range frame {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				if _, err := c.nc.Write([]byte{b}); err != nil {
					return
				}
				sent.Add(1)
			}
		}()
		c.expectClosed()
		close(stop)
		<-done
		if n := sent.Load(); n >= int64(len(frame)) {
			t.Errorf("the whole request (%d bytes) went through before the close", n)
		}
	})
	t.Run("a call longer than COMMTIMEOUT", func(t *testing.T) {
		c := dialRaw(t, d)
		c.handshake(echo.ObjectID)
		c.request(echo.ObjectID, "slow") // SlowDelay is 200 ms
		if m := c.recv(); m.Flags&wire.FlagException != 0 {
			t.Fatalf("slow: %q", m.Data)
		}
		// the silence counts from the reply: an immediate call is served
		if _, v := c.invoke("calc", "add", int64(2), int64(2)); v != int64(4) {
			t.Fatalf("add after slow = %v", v)
		}
	})
}
