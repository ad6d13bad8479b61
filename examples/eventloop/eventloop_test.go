//go:build unix

package main

import (
	"bufio"
	"context"
	"io"
	"math/big"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/pyval"
)

const clientPy = "/usr/share/doc/pyro4/examples/eventloop/client.py"

// deadPort returns a loopback port nothing listens on, so a Pyro4 client's
// direct name server attempt fails and it must find the name server by
// broadcast (sent to 127.0.0.1 only).
func deadPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(l.Addr().String())
	l.Close()
	return port
}

// TestPyro4ClientAgainstEventloop runs Pyro4's unchanged eventloop client
// against both variants of the example.
func TestPyro4ClientAgainstEventloop(t *testing.T) {
	pyrotest.Python(t)
	t.Setenv("PYRO_HOST", "127.0.0.1")
	t.Setenv("PYRO_NS_PORT", "0")
	t.Setenv("PYRO_NS_BCPORT", "0")
	t.Setenv("PYRO_NS_BCHOST", "127.0.0.1")
	for _, ownLoop := range []bool{false, true} {
		name := map[bool]string{false: "combined", true: "ownloop"}[ownLoop]
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			outR, outW := io.Pipe()
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, ownLoop, outW)
				outW.Close()
			}()
			lines := bufio.NewScanner(outR)
			bcRe := regexp.MustCompile(`^broadcast server on 127\.0\.0\.1:(\d+)$`)
			statusRe := regexp.MustCompile(`^status port (\S+)$`)
			var bcPort, status string
			for lines.Scan() {
				if m := bcRe.FindStringSubmatch(lines.Text()); m != nil {
					bcPort = m[1]
				}
				if m := statusRe.FindStringSubmatch(lines.Text()); m != nil {
					status = m[1]
				}
				if status != "" || !ownLoop && strings.HasPrefix(lines.Text(), "server uri=") {
					break
				}
			}
			go io.Copy(io.Discard, outR)
			if bcPort == "" {
				t.Fatal("no broadcast server line")
			}
			out, err := pyrotest.RunScript(t, ctx, clientPy, nil, "\n",
				"PYRO_NS_HOST=127.0.0.1", "PYRO_NS_PORT="+deadPort(t),
				"PYRO_BROADCAST_ADDRS=127.0.0.1", "PYRO_NS_BCPORT="+bcPort)
			if err != nil {
				t.Fatalf("client.py: %v\n%s", err, out)
			}
			for _, want := range []string{"5*11=55", "'x'*10=xxxxxxxxxx", "2*i=38", "'@'*i=@@@@@@@@@@@@@@@@@@@"} {
				if !strings.Contains(out, want) {
					t.Errorf("client output lacks %q:\n%s", want, out)
				}
			}
			if ownLoop {
				n, err := readStatus(status)
				if err != nil || n != 2+2*19 {
					t.Errorf("status port says %d calls (%v), want %d", n, err, 2+2*19)
				}
			}
			cancel()
			if err := <-done; err != nil && ctx.Err() == nil {
				t.Fatal(err)
			}
		})
	}
}

func TestMultiplyHasPythonSemantics(t *testing.T) {
	big1, _ := new(big.Int).SetString("85070591730234615847396907784232501249", 10)
	tests := []struct {
		x, y, want any
		err        string
	}{
		{int64(5), int64(11), int64(55), ""},
		{"x", int64(10), "xxxxxxxxxx", ""},
		{int64(3), "ab", "ababab", ""},
		{"x", int64(-1), "", ""},
		{[]any{int64(1)}, int64(2), []any{int64(1), int64(1)}, ""},
		{pyval.Tuple{"a"}, int64(2), pyval.Tuple{"a", "a"}, ""},
		{int64(1) << 62, int64(1)<<62 + 1, nil, ""},
		{int64(9223372036854775807), int64(9223372036854775807), big1, ""},
		{1.5, int64(2), 3.0, ""},
		{true, int64(3), int64(3), ""},
		{"x", 2.0, nil, "can't multiply sequence by non-int of type 'float'"},
		{"x", "y", nil, "unsupported operand type(s) for *: 'str' and 'str'"},
		{nil, int64(1), nil, "unsupported operand type(s) for *: 'NoneType' and 'int'"},
	}
	s := &EmbeddedServer{}
	for _, tt := range tests {
		got, err := s.Multiply(tt.x, tt.y)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v * %v: err %v, want %q", tt.x, tt.y, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v * %v: %v", tt.x, tt.y, err)
			continue
		}
		if tt.want != nil && !pyval.Equal(got, tt.want) {
			t.Errorf("%v * %v = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
	if got := s.calls.Load(); got != int64(len(tests)) {
		t.Errorf("calls counted %d, want %d", got, len(tests))
	}
}
