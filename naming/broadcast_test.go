package naming

import (
	"bytes"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/pyval"
)

var loopback = &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}

func newBC(t *testing.T, uri string) *BroadcastServer {
	t.Helper()
	bc, err := NewBroadcastServer(pyval.MustParseURI(uri), "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bc.Close() })
	return bc
}

// TestBroadcastReplies: only the exact 9 bytes GET_NSURI get an answer, the
// URI in Latin-1; a 0.0.0.0 host becomes the interface facing the sender.
func TestBroadcastReplies(t *testing.T) {
	for _, tc := range []struct {
		name, uri string
		req       string
		want      string // "" for no answer
	}{
		{"exact", "PYRO:Pyro.NameServer@127.0.0.1:9090", "GET_NSURI", "PYRO:Pyro.NameServer@127.0.0.1:9090"},
		{"newline", "PYRO:Pyro.NameServer@127.0.0.1:9090", "GET_NSURI\n", ""},
		{"lower case", "PYRO:Pyro.NameServer@127.0.0.1:9090", "get_nsuri", ""},
		{"prefix", "PYRO:Pyro.NameServer@127.0.0.1:9090", "GET_NSUR", ""},
		{"longer", "PYRO:Pyro.NameServer@127.0.0.1:9090", "GET_NSURIGET_NSURI", ""},
		{"empty", "PYRO:Pyro.NameServer@127.0.0.1:9090", "", ""},
		{"inaddr any", "PYRO:Pyro.NameServer@0.0.0.0:9090", "GET_NSURI", "PYRO:Pyro.NameServer@127.0.0.1:9090"},
		{"latin-1", "PYRO:Pyro.NameServer@h\u00e9st:9090", "GET_NSURI", "PYRO:Pyro.NameServer@h\xe9st:9090"},
	} {
		bc := newBC(t, tc.uri)
		got := bc.replyFor([]byte(tc.req), loopback)
		if string(got) != tc.want {
			t.Errorf("%s: reply %q, want %q", tc.name, got, tc.want)
		}
	}
	if _, err := NewBroadcastServer(pyval.URI{Protocol: "PYRO", Object: "x", Host: "\u0127ost", Port: 1}, "127.0.0.1", 0); err == nil {
		t.Error("a URI that is not Latin-1 was accepted")
	}
}

// ask sends GET_NSURI from a fresh client socket and returns the client.
func ask(t *testing.T, bc *BroadcastServer, req string) *net.UDPConn {
	t.Helper()
	c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: bc.Port()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	return c
}

func readReply(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second)) // a bound, not a sync
	buf := make([]byte, 200)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no reply: %v", err)
	}
	return string(buf[:n])
}

func TestBroadcastServe(t *testing.T) {
	bc := newBC(t, "PYRO:Pyro.NameServer@127.0.0.1:9090")
	if bc.LocationStr() != "127.0.0.1:"+itoa(bc.Port()) {
		t.Errorf("LocationStr %q", bc.LocationStr())
	}
	done := bc.RunInBackground()
	if got := readReply(t, ask(t, bc, "GET_NSURI")); got != "PYRO:Pyro.NameServer@127.0.0.1:9090" {
		t.Errorf("reply %q", got)
	}
	bc.Close()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestBroadcastAddrs(t *testing.T) {
	for in, want := range map[string]string{
		"<broadcast>, 0.0.0.0": "255.255.255.255 0.0.0.0",
		" 127.0.0.1 ":          "127.0.0.1",
		"'', 10.0.0.255":       "0.0.0.0 10.0.0.255",
		"127.0.0.1,127.0.0.2":  "127.0.0.1 127.0.0.2",
	} {
		ips, err := broadcastAddrs(in)
		var got []string
		for _, ip := range ips {
			got = append(got, ip.String())
		}
		if err != nil || strings.Join(got, " ") != want {
			t.Errorf("broadcastAddrs(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := broadcastAddrs("::1"); err == nil {
		t.Error("an IPv6 broadcast address was accepted")
	}
	if !bytes.Equal(broadcastRequest, []byte("GET_NSURI")) {
		t.Error("the request changed")
	}
}
