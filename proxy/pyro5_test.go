package proxy_test

// Interop tests against the real Pyro5 5.15 echo server
// (python3 -m Pyro5.utils.echoserver), with Options.Protocol = wire.Pyro5.

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

func TestPyro5EchoServer(t *testing.T) {
	srv := pyrotest.Start5(t, []string{"-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1", "-v"}, echoURILine)
	uri := srv.Match[1]
	for _, ser := range []string{"serpent", "marshal", "json", "msgpack"} {
		t.Run(ser, func(t *testing.T) {
			if ser == "msgpack" {
				pyrotest.RequireModule(t, "msgpack")
			}
			ctx := testCtx(t)
			opts := proxy.Options{Protocol: wire.Pyro5, Config: cfgWith(func(c *config.Config) { c.Serializer = ser })}
			p, err := bound(ctx, uri, opts)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			methods, oneway, attrs := p.Metadata()
			if !slices.Contains(methods, "echo") || !slices.Contains(methods, "__dunder__") ||
				!slices.Equal(oneway, []string{"oneway_echo", "oneway_slow"}) || !slices.Equal(attrs, []string{"verbose"}) {
				t.Errorf("metadata %v %v %v", methods, oneway, attrs)
			}
			for _, v := range []any{"hi", int64(42), 1.5, nil, true, []any{int64(1), "a"}, pyval.DictOf("k", int64(1))} {
				if got, err := p.Call(ctx, "echo", v); err != nil || !pyval.Equal(got, v) {
					t.Errorf("echo(%v) = %v, %v", v, got, err)
				}
			}
			// a URI and a Pyro error travel as Pyro5 class dicts both ways
			u := pyval.MustParseURI("PYRO:x@127.0.0.1:5555")
			if got, err := p.Call(ctx, "echo", u); err != nil || got != u {
				t.Errorf("echo(uri) = %#v, %v", got, err)
			}
			nerr := pyval.NewException("Pyro4.errors.NamingError", "boom")
			if got, err := p.Call(ctx, "echo", nerr); err != nil {
				t.Errorf("echo(NamingError) failed: %v", err)
			} else if e, ok := got.(*pyval.Exception); !ok || e.Class != "Pyro4.errors.NamingError" || e.Message() != "boom" {
				t.Errorf("echo(NamingError) = %#v", got)
			}

			_, err = p.Call(ctx, "error")
			exc := wantExc(t, err, pyval.ClassValueError, "this is the generated error from echoserver echo() method")
			if tb := exc.Traceback(); !strings.Contains(tb, "Traceback (most recent call last)") {
				t.Errorf("traceback %q", tb)
			}
			_, err = p.CallKw(ctx, "echo", nil, map[string]any{"nope": 1})
			wantExc(t, err, pyval.ClassTypeError, "unexpected keyword argument 'nope'")

			if v, err := p.Call(ctx, "oneway_echo", "ping-"+ser); err != nil || v != nil {
				t.Fatalf("oneway_echo = %v, %v", v, err)
			}
			srv.WaitLine(t, regexp.MustCompile(`oneway_echo: 'ping-`+ser+`'$`), testTimeout)

			for _, want := range []bool{false, true} { // ends verbose, for the next oneway_echo line
				if err := p.Set(ctx, "verbose", want); err != nil {
					t.Fatal(err)
				}
				if v, err := p.Get(ctx, "verbose"); err != nil || v != want {
					t.Fatalf("verbose = %v, %v; want %v", v, err, want)
				}
			}

			v, err := p.Call(ctx, "generator")
			s, ok := v.(*proxy.Stream)
			if err != nil || !ok {
				t.Fatalf("generator() = %T, %v", v, err)
			}
			for _, want := range []string{"one", "two", "three"} {
				if item, err := s.Next(ctx); err != nil || item != want {
					t.Fatalf("Next = %v, %v; want %q", item, err, want)
				}
			}
			if _, err := s.Next(ctx); err != io.EOF {
				t.Fatalf("Next at the end: %v", err)
			}

			b := p.Batch()
			b.Add("echo", int64(1))
			if ser == "marshal" {
				// Pyro5's marshal cannot send the exception wrapper in
				// a batch result ("unmarshallable object")
				b.Add("echo", int64(2))
				if res, err := b.Run(ctx); err != nil || !pyval.Equal(res, []any{int64(1), int64(2)}) {
					t.Errorf("batch = %v, %v", res, err)
				}
			} else {
				b.Add("error_with_text")
				b.Add("echo", int64(2))
				res, err := b.Run(ctx)
				if len(res) != 1 || !pyval.Equal(res[0], int64(1)) {
					t.Errorf("batch results %v", res)
				}
				wantExc(t, err, pyval.ClassValueError, "the message of the error")
			}

			id := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
			p.SetCorrelationID(id)
			if _, err := p.Call(ctx, "echo", "with id"); err != nil {
				t.Fatal(err)
			}
			if got := p.ResponseAnnotations()["CORR"]; !bytes.Equal(got, id[:]) {
				t.Errorf("reply correlation id %x, want %x", got, id)
			}
		})
	}
}

func TestPyro5ProxyOptions(t *testing.T) {
	if _, err := proxy.New("PYRO:x@127.0.0.1:1", proxy.Options{Protocol: wire.Pyro5, HMACKey: []byte("k")}); !errors.Is(err, proxy.ErrProtocol) {
		t.Errorf("Pyro5 with an HMAC key: %v, want ErrProtocol", err)
	}
	if _, err := proxy.New("PYRO:x@127.0.0.1:1", proxy.Options{Protocol: 47}); !errors.Is(err, proxy.ErrProtocol) {
		t.Errorf("protocol 47: %v, want ErrProtocol", err)
	}
	cfg := cfgWith(func(c *config.Config) { c.Serializer = "pickle" })
	if _, err := proxy.New("PYRO:x@127.0.0.1:1", proxy.Options{Protocol: wire.Pyro5, Config: cfg}); !errors.Is(err, proxy.ErrSerializer) {
		t.Errorf("Pyro5 with pickle: %v, want ErrSerializer", err)
	}
}

func TestPyro5UnknownObject(t *testing.T) {
	srv := pyrotest.Start5(t, []string{"-m", "Pyro5.utils.echoserver", "-H", "127.0.0.1"}, echoURILine)
	u := pyval.MustParseURI(srv.Match[1])
	u.Object = "no.such.object"
	p, err := proxy.New(u.String(), proxy.Options{Protocol: wire.Pyro5})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	err = p.Bind(testCtx(t))
	wantExc(t, err, pyval.ClassCommunicationError, "rejected: unknown object")
}
