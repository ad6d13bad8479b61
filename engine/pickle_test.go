package engine_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/pyrotest"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/serial"
)

// TestPickleNeedsOptIn: naming pickle in SERIALIZERS_ACCEPTED is not
// enough, as the setting may come from the environment; the program must
// set AllowPickle too.
func TestPickleNeedsOptIn(t *testing.T) {
	cfg := testConfig()
	cfg.SerializersAccepted = "serpent,pickle"
	_, err := engine.New(engine.Options{Host: "127.0.0.1", Config: &cfg})
	if !errors.Is(err, serial.ErrUnknown) || !strings.Contains(err.Error(), "AllowPickle") {
		t.Fatalf("New with pickle and no AllowPickle: %v, want an error naming AllowPickle", err)
	}
}

// TestPyro4PickleClientCallsGyro runs the real Pyro4 client with
// SERIALIZER=pickle, every check of pyro4_client.py (values, exceptions,
// batches, streams), against a daemon that opted in.
func TestPyro4PickleClientCallsGyro(t *testing.T) {
	pyrotest.Python(t)
	_, uri := startEcho(t, func(o *engine.Options) {
		o.Config.SerializersAccepted = "serpent,pickle"
		o.AllowPickle = true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.RunScript(t, ctx, "testdata/pyro4_client.py", []string{uri, "pickle"}, "")
	reportChecks(t, out, err)
}

// TestPyro4PickleClientRefused: a daemon that did not opt in (the default
// SERIALIZERS_ACCEPTED) refuses a pickle client at the handshake, as a
// Pyro4 daemon without pickle in SERIALIZERS_ACCEPTED does.
func TestPyro4PickleClientRefused(t *testing.T) {
	pyrotest.Python(t)
	_, uri := startEcho(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, `
import Pyro4, Pyro4.errors
Pyro4.config.SERIALIZER = "pickle"
p = Pyro4.Proxy("`+uri+`")
try:
    p.echo(1)
except Pyro4.errors.CommunicationError as e:
    print(type(e).__name__, e)
else:
    print("no error")
`)
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	// the real Pyro4 daemon's words, with its default SERIALIZERS_ACCEPTED
	want := regexp.MustCompile(`^CommunicationError connection to \('127\.0\.0\.1', \d+\) rejected: message used serializer that is not accepted: 4\n$`)
	if !want.MatchString(out) {
		t.Errorf("pickle client on a default daemon: %q, want %s", out, want)
	}
}

// TestGoProxyPickle: the Go proxy speaks pickle only with AllowPickle, and
// then calls a daemon that accepts it.
func TestGoProxyPickle(t *testing.T) {
	_, uri := startEcho(t, func(o *engine.Options) {
		o.Config.SerializersAccepted = "serpent,pickle"
		o.AllowPickle = true
	})
	cfg := config.Default()
	cfg.Serializer = "pickle"
	if _, err := proxy.New(uri, proxy.Options{Config: &cfg}); !errors.Is(err, proxy.ErrSerializer) {
		t.Fatalf("proxy.New with pickle and no AllowPickle: %v, want ErrSerializer", err)
	}
	if _, err := proxy.New(uri, proxy.Options{Config: &cfg, AllowPickle: true, Protocol: 502}); !errors.Is(err, proxy.ErrSerializer) {
		t.Fatalf("Pyro5 proxy with pickle: %v, want ErrSerializer (Pyro5 has no pickle)", err)
	}
	p, err := proxy.New(uri, proxy.Options{Config: &cfg, AllowPickle: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := p.Call(ctx, "echo", complex(1, 2))
	if err != nil || got != complex(1, 2) {
		t.Errorf("echo(1+2j) over pickle = %v, %v", got, err)
	}
	if _, err := p.Call(ctx, "error"); err == nil || !strings.Contains(err.Error(), "expected error from echoserver error() method") {
		t.Errorf("error() over pickle: %v", err)
	}
}

// TestPyro4PickleGlobalRefused: a pickle naming a global gyro does not
// rebuild (here os.system, which Python would resolve and could call) is
// answered with a SerializeError, and the connection goes on serving.
func TestPyro4PickleGlobalRefused(t *testing.T) {
	pyrotest.Python(t)
	_, uri := startEcho(t, func(o *engine.Options) {
		o.Config.SerializersAccepted = "pickle"
		o.AllowPickle = true
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := pyrotest.Run(t, ctx, `
import os, Pyro4, Pyro4.errors
Pyro4.config.SERIALIZER = "pickle"
p = Pyro4.Proxy("`+uri+`")
try:
    p.echo(os.system)
except Pyro4.errors.SerializeError as e:
    print("SerializeError", "system" in str(e))
else:
    print("no error")
print("after", p.echo(7))
`)
	if err != nil {
		t.Fatalf("client: %v\n%s", err, out)
	}
	if want := "SerializeError True\nafter 7\n"; out != want {
		t.Errorf("got %q, want %q", out, want)
	}
}
