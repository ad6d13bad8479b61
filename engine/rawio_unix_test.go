//go:build unix

package engine

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestRawIO: the thread type serves a plain connection through rawIO
// (its reads are run's, which the engine suite drives on every test under
// the thread type) and a TLS one through run's own loop; rawIO's Write
// must behave as the net.Conn's it replaces: everything written, waiting
// for a slow reader, the write deadline, an error for a reset peer.
func TestRawIO(t *testing.T) {
	t.Run("which connections", func(t *testing.T) {
		_, s := tcpPair(t)
		if rawServer(s) == nil {
			t.Fatal("rawServer(*net.TCPConn) = nil, want a rawIO")
		}
		if r := rawServer(tls.Server(s, &tls.Config{})); r != nil {
			t.Fatalf("rawServer(*tls.Conn) = %T, want nil: TLS keeps run's loop", r)
		}
	})
	t.Run("write", func(t *testing.T) {
		c, s := tcpPair(t)
		w := rawServer(s)
		// a reply larger than the socket buffers: Write waits for the
		// reader and writes it all
		big := bytes.Repeat([]byte("0123456789abcdef"), 1<<18)
		done := make(chan error, 1)
		go func() {
			got, err := io.ReadAll(io.LimitReader(c, int64(len(big))))
			if err == nil && !bytes.Equal(got, big) {
				err = errors.New("the client read other bytes than were written")
			}
			done <- err
		}()
		if n, err := w.Write(big); n != len(big) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(big))
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("write deadline", func(t *testing.T) {
		_, s := tcpPair(t)
		// the client never reads: the write fills the buffers and waits.
		// A deadline already past when Write starts fails it before any
		// byte is written (the poller checks first), so it leaves a loaded
		// machine time to get there
		s.SetWriteDeadline(time.Now().Add(250 * time.Millisecond))
		n, err := rawServer(s).Write(make([]byte, 64<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) || n == 0 {
			t.Fatalf("Write past its deadline = %d, %v; want some bytes and os.ErrDeadlineExceeded", n, err)
		}
	})
	t.Run("reset peer", func(t *testing.T) {
		c, s := tcpPair(t)
		c.SetLinger(0) // close sends a RST
		c.Close()
		w := rawServer(s)
		// the first write may still be taken before the RST is seen
		deadline := time.Now().Add(5 * time.Second)
		var err error
		for err == nil && time.Now().Before(deadline) {
			_, err = w.Write([]byte("reply"))
		}
		if err == nil {
			t.Fatal("Write to a reset peer kept succeeding")
		}
	})
}
