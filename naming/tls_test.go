package naming

import (
	"context"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/internal/testcerts"
	"github.com/gyro-rpc/gyro/proxy"
)

type tlsGreeter struct{}

func (tlsGreeter) Hello() string { return "hello over tls" }

// TestNameServerOverTLS: with SSL on, the name server's TCP port speaks
// TLS while its broadcast responder stays plaintext, as in Pyro4; the
// locator finds it by broadcast and talks TLS to it, and a PYRONAME proxy
// resolves through it and calls a TLS daemon. A client with SSL off gets
// nowhere.
func TestNameServerOverTLS(t *testing.T) {
	f := testcerts.New(t)
	ssl := func(cfg *config.Config) *config.Config {
		cfg.SSL = true
		cfg.SSLServerCert, cfg.SSLServerKey = f.ServerCert, f.ServerKey
		cfg.SSLRequireClientCert, cfg.SSLCACerts = true, f.CACert
		cfg.SSLClientCert, cfg.SSLClientKey = f.ClientCert, f.ClientKey
		return cfg
	}
	cfg := ssl(testConfig(t))
	ns := startNS(t, func(o *NSOptions) { o.Config = cfg })
	// Pyro4 starts none for a loopback name server: start one by hand
	bc, err := NewBroadcastServer(ns.URI, "127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- bc.Serve(ctx) }()
	defer func() {
		cancel()
		<-served
		bc.Close()
	}()

	d, err := engine.New(engine.Options{Host: "127.0.0.1", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	uri, err := d.Register(tlsGreeter{}, "greeter", false)
	if err != nil {
		t.Fatal(err)
	}
	go d.RequestLoop(nil)
	defer d.Shutdown()

	// found by (plaintext) broadcast, then TLS to the name server
	nsp, err := LocateNS(ctx, LocateOptions{Port: bc.Port(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer nsp.Close()
	if _, err := nsp.Call(ctx, "register", "tls.greeter", uri.String()); err != nil {
		t.Fatal(err)
	}
	p, err := proxy.New("PYRONAME:tls.greeter@127.0.0.1:"+itoa(ns.URI.Port), proxy.Options{Config: cfg, Resolve: Resolver(LocateOptions{Config: cfg})})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if v, err := p.Call(ctx, "hello"); err != nil || v != "hello over tls" {
		t.Fatalf("hello via PYRONAME = %v, %v", v, err)
	}

	plain := testConfig(t)
	if _, err := LocateNS(ctx, LocateOptions{Host: "127.0.0.1", Port: ns.URI.Port, NoBroadcast: true, Config: plain}); err == nil {
		t.Fatal("a client without TLS located the TLS name server")
	}
}
