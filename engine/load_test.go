package engine_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/serial"
	"github.com/gyro-rpc/gyro/wire"
)

// TestManyIdleConnections: 1,000 clients connect and stay silent while
// another client's calls still complete. On the thread type the pool must
// be large enough; on multiplex one goroutine holds them all.
func TestManyIdleConnections(t *testing.T) {
	const idle = 1000
	raiseFdLimit(t, 2*idle+100)
	cfg := testConfig()
	cfg.ThreadPoolSize = idle + 10
	d, uri := startEcho(t, func(o *engine.Options) { o.Config = &cfg })
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < idle; i++ {
		c, err := net.Dial("tcp", d.Addr().String())
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := proxy.New(uri, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 10; i++ {
		if v, err := p.Call(ctx, "echo", i); err != nil || v != int64(i) {
			t.Fatalf("echo with %d idle connections = %v, %v", idle, v, err)
		}
	}
}

// TestSlowReaderDoesNotStallOthers: a client pipelines large echo requests
// and never reads the replies; another client's calls still complete.
func TestSlowReaderDoesNotStallOthers(t *testing.T) {
	d, uri := startEcho(t, nil)
	slow := dialRaw(t, d)
	slow.nc.SetDeadline(time.Time{})
	slow.handshake(echoID)
	big := strings.Repeat("x", 1<<20)
	data, _ := serial.Serpent.MarshalCall(nil, &serial.Call{Object: echoID, Method: "echo", Args: []any{big}}, nil)
	go func() { // writes until the daemon stops reading from us (back-pressure) or the test ends
		for seq := uint16(1); seq < 200; seq++ {
			frame, _ := wire.Append(nil, &wire.Message{Type: wire.MsgInvoke, Seq: seq, SerializerID: serial.IDSerpent, Data: data}, &wire.Options{})
			if _, err := slow.nc.Write(frame); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := proxy.New(uri, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 20; i++ {
		if v, err := p.Call(ctx, "echo", "small"); err != nil || v != "small" {
			t.Fatalf("echo beside a slow reader = %v, %v", v, err)
		}
	}
	slow.nc.Close()
}
