package metrics_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/metrics"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/proxy"
)

type Greeter struct{}

func (Greeter) Hello(name string) string { return "hello " + name }

func Example() {
	m, err := metrics.New(metrics.Options{})
	if err != nil {
		log.Fatal(err)
	}
	d, err := engine.New(engine.Options{Host: "127.0.0.1", Interceptors: []engine.Interceptor{m.Interceptor()}})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	uri, _ := d.Register(Greeter{}, "greeter", false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.Serve(ctx)

	p, _ := proxy.New(uri.String(), proxy.Options{})
	defer p.Close()
	p.Call(ctx, "hello", "you")
	p.Call(ctx, "hello", "me")

	// what Prometheus scrapes
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "gyro_server_calls_handled_total{") {
			fmt.Println(line)
		}
	}
	// Output:
	// gyro_server_calls_handled_total{method="hello",object="greeter",outcome="error"} 0
	// gyro_server_calls_handled_total{method="hello",object="greeter",outcome="ok"} 2
}

// Example_readme is README.md's metrics snippet. It is compiled, not run.
func Example_readme() {
	ns, err := naming.StartNS(naming.NSOptions{Host: "127.0.0.1"})
	if err != nil {
		log.Fatal(err)
	}
	defer ns.Close()
	// README begin
	m, err := metrics.New(metrics.Options{}) // its own registry; Options.Registry to share one
	if err != nil {
		log.Fatal(err)
	}
	d, err := engine.New(engine.Options{Interceptors: []engine.Interceptor{m.Interceptor()}})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	http.Handle("/metrics", m.Handler())
	if err := m.ObserveNameServer(ns.NameServer); err != nil { // a name server: gyro_nameserver_names
		log.Fatal(err)
	}
	// README end
}
