//go:build unix

package loop

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// TestSetPartial: a handler that consumes all its input but holds part of
// a message (as a TLS layer does) gets ReadTimeout through SetPartial; a
// connection whose message completed is kept.
func TestSetPartial(t *testing.T) {
	checkLeaks(t)
	clk := &fakeClock{t: time.Unix(1000, 0)}
	held := map[*Conn][]byte{}
	names := map[*Conn]string{}
	closed := map[string]error{}
	h := &handler{
		data: func(c *Conn, in []byte) int {
			buf := append(held[c], in...)
			if i := bytes.IndexByte(buf, '\n'); i >= 0 && names[c] == "" {
				names[c] = string(buf[:i]) // the first line names the client
			}
			buf = buf[bytes.LastIndexByte(buf, '\n')+1:] // lines are messages
			held[c] = append([]byte(nil), buf...)
			c.SetPartial(len(buf) > 0)
			return len(in) // everything is taken: the loop sees no remainder
		},
		closed: func(c *Conn, err error) { closed[names[c]] = err },
	}
	l, err := newLoop(h, Options{ReadTimeout: 2 * time.Second}, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := listen(t, l, "tcp", "127.0.0.1:0")
	conns := map[string]net.Conn{}
	for _, name := range []string{"held", "completed"} {
		conns[name] = dial(t, a)
		conns[name].Write([]byte(name + "\nhalf"))
	}
	heldAll := func(want string) func() bool {
		return func() bool {
			n := 0
			for c, b := range held {
				if names[c] != "" && string(b) == want {
					n++
				}
			}
			return n == 2
		}
	}
	pollUntil(t, l, heldAll("half"))
	clk.advance(time.Second)
	conns["completed"].Write([]byte("\n")) // its message completes: no partial left
	pollUntil(t, l, func() bool {
		for c, b := range held {
			if names[c] == "completed" && len(b) == 0 {
				return true
			}
		}
		return false
	})
	clk.advance(1500 * time.Millisecond) // held's part is 2.5 s old
	if err := l.Poll(0); err != nil {
		t.Fatal(err)
	}
	if len(closed) != 1 || closed["held"] != ErrReadTimeout {
		t.Fatalf("closed %v, want held by ErrReadTimeout only", closed)
	}
	clk.advance(time.Hour)
	if err := l.Poll(0); err != nil {
		t.Fatal(err)
	}
	if _, gone := closed["completed"]; gone {
		t.Fatalf("completed was closed: %v", closed["completed"])
	}
}
