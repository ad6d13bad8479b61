//go:build unix

package loop

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
)

// benchServer runs a loop with h on 127.0.0.1 until the benchmark ends.
func benchServer(b *testing.B, h Handler) net.Addr {
	b.Helper()
	l, err := New(h, Options{})
	if err != nil {
		b.Fatal(err)
	}
	a, err := l.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Run(context.Background()) }()
	b.Cleanup(func() {
		l.Close()
		<-done
	})
	return a
}

// BenchmarkAcceptClose: connect, the server accepts and closes, the client
// sees EOF. Allocations include the client's net.Dial.
func BenchmarkAcceptClose(b *testing.B) {
	a := benchServer(b, &handler{open: func(c *Conn) { c.Close() }})
	var buf [1]byte
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", a.String())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Read(buf[:]); err != io.EOF {
			b.Fatalf("read: %v, want EOF", err)
		}
		c.Close()
	}
}

// BenchmarkEcho: one request/response round trip over loopback per op.
func BenchmarkEcho(b *testing.B) {
	for _, size := range []int{16, 4 << 10} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			a := benchServer(b, &handler{})
			c, err := net.Dial("tcp", a.String())
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			req, resp := make([]byte, size), make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Write(req); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, resp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
