package proxy_test

// Interop tests against the real Pyro4 4.82 echo server
// (python3 -m Pyro4.test.echoserver). They skip only when Pyro4 is not
// installed, and fail instead under CI (see internal/pyrotest).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

var echoURILine = regexp.MustCompile(`^echo uri: (PYRO:\S+)$`)

// startEcho starts Pyro4's echo server with extra arguments and environment
// and returns it with its URI.
func startEcho(t *testing.T, args []string, env ...string) (*pyrotest.Process, string) {
	t.Helper()
	p := pyrotest.Start(t, append([]string{"-m", "Pyro4.test.echoserver", "-p", "0"}, args...), echoURILine, env...)
	return p, p.Match[1]
}

func shutdown(t *testing.T, srv *pyrotest.Process, uri string, opts proxy.Options) {
	t.Helper()
	p, err := proxy.New(uri, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Call(testCtx(t), "shutdown"); err != nil || v != nil {
		t.Fatalf("shutdown() = %v, %v", v, err)
	}
	if err := srv.Wait(testTimeout); err != nil {
		t.Errorf("echo server exit: %v", err)
	}
}

func bigInt(s string) *big.Int {
	b, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return b
}

// echoCase is a value sent to echo() and what comes back in each
// serializer; a nil want entry means the serializer cannot send the value.
type echoCase struct {
	name string
	in   any
	want map[string]any
}

func same(v any) map[string]any { return map[string]any{"serpent": v, "json": v, "marshal": v} }

var echoCases = []echoCase{
	{"str", "hi", same("hi")},
	{"unicode", "héllo ☃ \x01\n'\"\\", same("héllo ☃ \x01\n'\"\\")},
	{"int", 42, same(int64(42))},
	{"negative", int64(-7), same(int64(-7))},
	{"bigint", bigInt("1180591620717411303424"), same(bigInt("1180591620717411303424"))},
	{"float", 3.5, same(3.5)},
	{"float-exp", 1e22, same(1e22)},
	{"inf", math.Inf(1), same(math.Inf(1))},
	{"-inf", math.Inf(-1), same(math.Inf(-1))},
	{"none", nil, same(nil)},
	{"bool", true, same(true)},
	{"list", []any{int64(1), "a", nil}, same([]any{int64(1), "a", nil})},
	{"tuple", pyval.Tuple{int64(1), "a"}, map[string]any{"serpent": pyval.Tuple{int64(1), "a"}, "json": []any{int64(1), "a"}, "marshal": pyval.Tuple{int64(1), "a"}}},
	{"dict", pyval.DictOf("a", int64(1), "b", []any{}), same(pyval.DictOf("a", int64(1), "b", []any{}))},
	{"dict-int-key", pyval.DictOf(int64(1), "x"), map[string]any{"serpent": pyval.DictOf(int64(1), "x"), "json": pyval.DictOf("1", "x"), "marshal": pyval.DictOf(int64(1), "x")}},
	{"set", pyval.Set{int64(1), int64(2)}, map[string]any{"serpent": pyval.Set{int64(1), int64(2)}, "json": []any{int64(1), int64(2)}, "marshal": pyval.Set{int64(1), int64(2)}}},
	// serpent writes an empty set as (), which Python reads as a tuple.
	{"empty-set", pyval.Set{}, map[string]any{"serpent": pyval.Tuple{}, "json": []any{}, "marshal": pyval.Set{}}},
	// serpent sends bytes as a base64 dict and Pyro4 echoes the dict.
	{"bytes", []byte{0, 1, 255}, map[string]any{"serpent": pyval.DictOf("data", "AAH/", "encoding", "base64"), "marshal": []byte{0, 1, 255}}},
	{"complex", complex(1.5, -2), map[string]any{"serpent": complex(1.5, -2), "marshal": complex(1.5, -2)}},
}

// TestPyro4 runs the proxy against one echo server over every serializer.
func TestPyro4(t *testing.T) {
	srv, uri := startEcho(t, []string{"-v"})
	for _, ser := range []string{"serpent", "json", "marshal"} {
		t.Run(ser, func(t *testing.T) {
			ctx := testCtx(t)
			p, err := bound(ctx, uri, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = ser })})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			methods, oneway, attrs := p.Metadata()
			if len(methods) != 11 || len(oneway) != 2 || len(attrs) != 1 {
				t.Errorf("metadata %v %v %v", methods, oneway, attrs)
			}

			t.Run("echo", func(t *testing.T) { testEcho(t, p, ser) })

			t.Run("nan", func(t *testing.T) {
				for _, v := range []any{math.NaN()} {
					got, err := p.Call(ctx, "echo", v)
					if f, ok := got.(float64); err != nil || !ok || !math.IsNaN(f) {
						t.Errorf("echo(nan) = %v, %v", got, err)
					}
				}
				if got, err := p.Call(ctx, "nan"); err != nil || !math.IsNaN(got.(float64)) {
					t.Errorf("nan() = %v, %v", got, err)
				}
				if got, err := p.Call(ctx, "inf"); err != nil || got != math.Inf(1) {
					t.Errorf("inf() = %v, %v", got, err)
				}
			})

			t.Run("errors", func(t *testing.T) {
				for method, msg := range map[string]string{
					"error":           "expected error from echoserver error() method",
					"error_with_text": "the message of the error",
				} {
					_, err := p.Call(ctx, method)
					exc := wantExc(t, err, pyval.ClassValueError, msg)
					if tb := exc.Traceback(); !strings.Contains(tb, "Traceback (most recent call last)") || !strings.Contains(tb, "ValueError") {
						t.Errorf("%s: traceback %q", method, tb)
					}
				}
			})

			t.Run("names", func(t *testing.T) {
				if v, err := p.Call(ctx, "__dunder__"); err != nil || v != "should be allowed (dunder)" {
					t.Errorf("__dunder__() = %v, %v", v, err)
				}
				_, err := p.Call(ctx, "_private")
				wantExc(t, err, pyval.ClassAttributeError, "has no exposed attribute or method '_private'")
				// Without metadata the server refuses it.
				raw, err := proxy.New(uri, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = ser; c.Metadata = false })})
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
				_, err = raw.Call(ctx, "_private")
				wantExc(t, err, pyval.ClassAttributeError, "attempt to access private attribute '_private'")
				if v, err := raw.Call(ctx, "echo", "no metadata"); err != nil || v != "no metadata" {
					t.Errorf("echo without metadata = %v, %v", v, err)
				}
			})

			t.Run("oneway", func(t *testing.T) {
				msg := "ping-" + ser
				if v, err := p.Call(ctx, "oneway_echo", msg); err != nil || v != nil {
					t.Fatalf("oneway_echo = %v, %v", v, err)
				}
				srv.WaitLine(t, regexp.MustCompile(`oneway_echo: '`+msg+`'$`), testTimeout)
			})

			t.Run("attributes", func(t *testing.T) {
				// Pyro4's own marshal client cannot do this (it fails on the
				// None kwargs); gyro's can. See TestPyro4MarshalAttributes.
				for _, want := range []bool{false, true} {
					if err := p.Set(ctx, "verbose", want); err != nil {
						t.Fatal(err)
					}
					if v, err := p.Get(ctx, "verbose"); err != nil || v != want {
						t.Fatalf("verbose = %v, %v; want %v", v, err, want)
					}
				}
			})

			t.Run("stream", func(t *testing.T) {
				v, err := p.Call(ctx, "generator")
				if err != nil {
					t.Fatal(err)
				}
				s, ok := v.(*proxy.Stream)
				if !ok {
					t.Fatalf("generator() returned %T", v)
				}
				for _, want := range []string{"one", "two", "three"} {
					if item, err := s.Next(ctx); err != nil || item != want {
						t.Fatalf("Next = %v, %v; want %q", item, err, want)
					}
				}
				if _, err := s.Next(ctx); err != io.EOF {
					t.Fatalf("Next at the end: %v", err)
				}
			})

			t.Run("stream-linger", func(t *testing.T) {
				s, err := p.Stream(ctx, "generator")
				if err != nil {
					t.Fatal(err)
				}
				if item, err := s.Next(ctx); err != nil || item != "one" {
					t.Fatalf("Next = %v, %v", item, err)
				}
				p.Close()
				_, err = s.Next(ctx)
				wantExc(t, err, pyval.ClassConnectionClosedError, "the proxy for this stream result has been closed")
				// The daemon keeps the stream of a client that went away
				// (ITER_STREAM_LINGER); the reconnected proxy picks it up.
				if err := p.Bind(ctx); err != nil {
					t.Fatal(err)
				}
				if item, err := s.Next(ctx); err != nil || item != "two" {
					t.Fatalf("Next after reconnecting = %v, %v", item, err)
				}
				if err := s.Close(testCtx(t)); err != nil {
					t.Fatal(err)
				}
			})

			t.Run("stream-close", func(t *testing.T) {
				s, err := p.Stream(ctx, "generator")
				if err != nil {
					t.Fatal(err)
				}
				if item, err := s.Next(ctx); err != nil || item != "one" {
					t.Fatalf("Next = %v, %v", item, err)
				}
				if err := s.Close(testCtx(t)); err != nil {
					t.Fatal(err)
				}
				// The daemon dropped it: any connection can ask.
				d, err := proxy.New(strings.Replace(uri, "test.echoserver", proxy.DaemonObject, 1), proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = ser })})
				if err != nil {
					t.Fatal(err)
				}
				defer d.Close()
				_, err = d.Call(ctx, "get_next_stream_item", s.ID())
				wantExc(t, err, pyval.ClassPyroError, "item stream terminated")
			})

			t.Run("batch", func(t *testing.T) {
				b := p.Batch()
				b.Add("echo", int64(1))
				b.Add("error")
				b.Add("echo", int64(3))
				res, err := b.Run(ctx)
				if ser == "marshal" {
					// Pyro4's marshal serializer cannot encode the
					// exception wrapper inside the result list, so the
					// whole batch fails on the server.
					wantExc(t, err, pyval.ClassValueError, "unmarshallable object")
					if res != nil {
						t.Errorf("results %v", res)
					}
				} else {
					wantExc(t, err, pyval.ClassValueError, "expected error from echoserver error() method")
					if len(res) != 1 || res[0] != int64(1) {
						t.Errorf("results %v", res)
					}
				}
				b.Add("echo", "a")
				b.Add("__dunder__")
				res, err = b.Run(ctx)
				if err != nil || len(res) != 2 || res[0] != "a" || res[1] != "should be allowed (dunder)" {
					t.Errorf("batch = %v, %v", res, err)
				}
				// An unknown name fails the whole batch.
				b.Add("echo", 1)
				b.Add("nosuch")
				res, err = b.Run(ctx)
				var exc *pyval.Exception
				if !errors.As(err, &exc) || res != nil {
					t.Errorf("batch with an unknown name = %v, %v", res, err)
				}
				b = p.Batch()
				b.Add("oneway_echo", "batched-"+ser)
				if err := b.RunOneway(ctx); err != nil {
					t.Fatal(err)
				}
				srv.WaitLine(t, regexp.MustCompile(`oneway_echo: 'batched-`+ser+`'$`), testTimeout)
			})

			t.Run("seq-wrap", func(t *testing.T) {
				proxy.SetSeq(p, 65535)
				for range 2 {
					if v, err := p.Call(ctx, "echo", "wrap"); err != nil || v != "wrap" {
						t.Fatalf("echo across the seq wrap = %v, %v", v, err)
					}
				}
			})

			t.Run("compress", func(t *testing.T) {
				c, err := proxy.New(uri, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = ser; c.Compression = true })})
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				big := strings.Repeat("compressible ", 100)
				if v, err := c.Call(ctx, "echo", big); err != nil || v != big {
					t.Errorf("compressed echo failed: %v", err)
				}
			})
		})
	}

	t.Run("correlation", func(t *testing.T) {
		p, err := proxy.New(uri, proxy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		id := [16]byte{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
		p.SetCorrelationID(id)
		if _, err := p.Call(testCtx(t), "echo", 1); err != nil {
			t.Fatal(err)
		}
		if got := p.ResponseAnnotations()["CORR"]; string(got) != string(id[:]) {
			t.Errorf("CORR echoed as %x", got)
		}
	})

	t.Run("marshal-attributes-pyro4", func(t *testing.T) { testMarshalAttributesPyro4(t, uri) })

	shutdown(t, srv, uri, proxy.Options{})
}

func testEcho(t *testing.T, p *proxy.Proxy, ser string) {
	ctx := testCtx(t)
	for _, tc := range echoCases {
		want, ok := tc.want[ser]
		got, err := p.Call(ctx, "echo", tc.in)
		if !ok {
			// Not representable: refused locally or by the server, with a
			// Pyro4 exception either way.
			var exc *pyval.Exception
			if err == nil || !errors.As(err, &exc) {
				t.Errorf("%s: echo of an unsupported value = %v, %v", tc.name, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !pyval.Equal(got, want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
			t.Errorf("%s: echo(%#v) = %#v (%T), want %#v (%T)", tc.name, tc.in, got, got, want, want)
		}
	}
}

// testMarshalAttributesPyro4 documents why attribute access over marshal is
// worth a test: Pyro4's own client cannot send it.
func testMarshalAttributesPyro4(t *testing.T, uri string) {
	script := fmt.Sprintf(`import Pyro4
p = Pyro4.Proxy(%q)
try:
    print("value", p.verbose)
except Exception as e:
    print("error", type(e).__name__)
`, uri)
	out, err := pyrotest.Run(t, testCtx(t), script, "PYRO_SERIALIZER=marshal")
	if err != nil {
		t.Fatal(err)
	}
	// Pyro4's MarshalSerializer.dumpsCall iterates kwargs, which is None
	// for __getattr__. If this starts to pass, update the package doc.
	if !strings.HasPrefix(out, "error AttributeError") {
		t.Errorf("Pyro4's marshal client: %q, want the AttributeError on None kwargs", out)
	}
}

func TestPyro4Timeout(t *testing.T) {
	srv, uri := startEcho(t, []string{"-v"})
	p, err := bound(testCtx(t), uri, proxy.Options{Config: cfgWith(func(c *config.Config) { c.CommTimeout = 200 * time.Millisecond })})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Call(testCtx(t), "slow")
	wantExc(t, err, pyval.ClassTimeoutError, "receiving: timeout")
	if !errors.Is(err, pyval.ErrCommunication) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("timeout error %v", err)
	}
	srv.WaitLine(t, regexp.MustCompile(`slow: waiting a bit`), testTimeout)
	// The multiplex server sleeps 5 s in slow(); the test ends without
	// waiting for it and the cleanup kills the server.
}

func TestPyro4Cancel(t *testing.T) {
	srv, uri := startEcho(t, []string{"-v"})
	p, err := bound(testCtx(t), uri, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(testCtx(t))
	errc := make(chan error, 1)
	go func() {
		_, err := p.Call(ctx, "slow")
		errc <- err
	}()
	srv.WaitLine(t, regexp.MustCompile(`slow: waiting a bit`), testTimeout)
	cancel()
	err = recv(t, errc)
	wantExc(t, err, pyval.ClassTimeoutError, "context canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
}

func TestPyro4UnixSocket(t *testing.T) {
	// Unix socket paths are short (108 bytes): t.TempDir can be too long.
	dir, err := os.MkdirTemp("", "gyro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "echo.sock")
	srv, uri := startEcho(t, []string{"-u", sock})
	if want := "PYRO:test.echoserver@./u:" + sock; uri != want {
		t.Fatalf("uri %q, want %q", uri, want)
	}
	p, err := bound(testCtx(t), uri, proxy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Call(testCtx(t), "echo", "over unix"); err != nil || v != "over unix" {
		t.Fatalf("echo = %v, %v", v, err)
	}
	shutdown(t, srv, uri, proxy.Options{})
}

func TestPyro4HMAC(t *testing.T) {
	srv, uri := startEcho(t, nil, "PYRO_HMAC_KEY=secret")
	tests := []struct {
		name string
		key  []byte
		want error  // nil: the echo works
		msg  string // in the CommunicationError
	}{
		{"right key", []byte("secret"), nil, ""},
		{"wrong key", []byte("wrong"), wire.ErrHMACMismatch, "message hmac mismatch"},
		{"no key", nil, wire.ErrHMACAsymmetric, "hmac key config not symmetric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := bound(testCtx(t), uri, proxy.Options{HMACKey: tt.key})
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if v, err := p.Call(testCtx(t), "echo", "signed"); err != nil || v != "signed" {
					t.Fatalf("echo = %v, %v", v, err)
				}
				return
			}
			wantExc(t, err, pyval.ClassCommunicationError, tt.msg)
			if !errors.Is(err, pyval.ErrSecurity) || !errors.Is(err, tt.want) {
				t.Errorf("error %v does not wrap SecurityError and %v", err, tt.want)
			}
		})
	}
	shutdown(t, srv, uri, proxy.Options{HMACKey: []byte("secret")})
}

func TestPyro4ConnectFail(t *testing.T) {
	srv, uri := startEcho(t, nil, "PYRO_SERIALIZERS_ACCEPTED=serpent")
	u := pyval.MustParseURI(uri)
	loc := fmt.Sprintf("('localhost', %d)", u.Port)

	_, err := bound(testCtx(t), uri, proxy.Options{Config: cfgWith(func(c *config.Config) { c.Serializer = "json" })})
	wantExc(t, err, pyval.ClassCommunicationError, "connection to "+loc+" rejected: message used serializer that is not accepted: 2")

	u.Object = "nosuch"
	_, err = bound(testCtx(t), u.String(), proxy.Options{})
	wantExc(t, err, pyval.ClassCommunicationError, "connection to "+loc+" rejected: unknown object")

	shutdown(t, srv, uri, proxy.Options{})
}
