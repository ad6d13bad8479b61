//go:build unix

package engine

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
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

// TestRawIO: the thread type's plain connections read and write through
// rawIO, which must behave as the net.Conn it replaces: data both ways,
// io.EOF at the peer's close, the errno of a reset, and the deadlines.
func TestRawIO(t *testing.T) {
	t.Run("data", func(t *testing.T) {
		c, s := tcpPair(t)
		rw := plainIO(s)
		if _, ok := rw.(*rawIO); !ok {
			t.Fatalf("plainIO(*net.TCPConn) = %T, want *rawIO", rw)
		}
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
		if n, err := rw.Write(big); n != len(big) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(big))
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		if n, err := rw.Read(buf); err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("Read = %q, %v; want \"ping\", nil", buf[:n], err)
		}
		c.Close()
		if n, err := rw.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("Read after the peer closed = %d, %v; want 0, EOF", n, err)
		}
	})
	t.Run("read while writing", func(t *testing.T) {
		// as on a net.Conn, one goroutine may read while another writes
		c, s := tcpPair(t)
		rw := plainIO(s)
		big := bytes.Repeat([]byte("x"), 1<<20)
		wrote := make(chan error, 1)
		go func() {
			_, err := rw.Write(big)
			wrote <- err
		}()
		go func() {
			c.Write([]byte("ping"))
			io.Copy(io.Discard, io.LimitReader(c, int64(len(big))))
		}()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(rw, buf); err != nil || string(buf) != "ping" {
			t.Fatalf("Read while writing = %q, %v", buf, err)
		}
		if err := <-wrote; err != nil {
			t.Fatalf("Write while reading: %v", err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		c, s := tcpPair(t)
		c.SetLinger(0) // close sends a RST
		c.Close()
		_, err := plainIO(s).Read(make([]byte, 16))
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Read after a reset = %v, want ECONNRESET", err)
		}
	})
	t.Run("deadlines", func(t *testing.T) {
		_, s := tcpPair(t)
		rw := plainIO(s)
		s.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		if _, err := rw.Read(make([]byte, 16)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("Read past its deadline = %v, want os.ErrDeadlineExceeded", err)
		}
		// the client never reads: the write fills the buffers and waits
		s.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		n, err := rw.Write(make([]byte, 64<<20))
		if !errors.Is(err, os.ErrDeadlineExceeded) || n == 0 {
			t.Fatalf("Write past its deadline = %d, %v; want some bytes and os.ErrDeadlineExceeded", n, err)
		}
	})
}
