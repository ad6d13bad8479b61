package engine_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/fdcount"
)

// TestCloseLeavesNothing: after clients came and went and the daemon was
// closed, no goroutine and no file descriptor of it remains.
func TestCloseLeavesNothing(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	before := fdcount.Count(t)
	cfg := testConfig()
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if err != nil {
		t.Fatal(err)
	}
	d.Register(Calculator{}, "calc", false)
	done := make(chan error, 1)
	go func() { done <- d.RequestLoop(nil) }()
	var clients []*rawClient
	for i := 0; i < 5; i++ {
		c := dialRaw(t, d)
		clients = append(clients, c)
		c.handshake("calc")
		c.invoke("calc", "add", int64(i), int64(i))
		if i%2 == 0 {
			c.nc.Close() // half leave, half are still connected at Close
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, c := range clients {
		c.nc.Close()
	}
	if after := fdcount.Count(t); after != before {
		t.Fatalf("open fds: %d before, %d after Close: %v", before, after, fdcount.Targets())
	}
}
