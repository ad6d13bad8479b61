package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

// The examples talk to an in-process fake daemon; with a real one, use its
// URI, e.g. "PYRO:test.echoserver@localhost:9999" from pyro4-test-echoserver.

func Example() {
	srv, err := startFake()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := proxy.Dial(ctx, srv.URI(), proxy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	v, err := p.Call(ctx, "echo", "hello")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v)
	// Output: hello
}

func ExampleProxy_Call_remoteException() {
	srv, err := startFake()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	p, err := proxy.New(srv.URI(), proxy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	_, err = p.Call(context.Background(), "boom")
	var exc *pyval.Exception
	if errors.As(err, &exc) {
		fmt.Println(exc.Class, exc.Message())
		fmt.Print(exc.Traceback())
	}
	// Output:
	// builtins.ValueError boom
	// Traceback (most recent call last):
	// ValueError: boom
}

func ExampleBatch() {
	srv, err := startFake()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	p, err := proxy.New(srv.URI(), proxy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	b := p.Batch()
	b.Add("echo", 1)
	b.Add("echo", "two")
	b.Add("boom")
	b.Add("echo", 4) // not run: boom raises first
	results, err := b.Run(context.Background())
	fmt.Println(results, err)
	// Output: [1 two] ValueError: boom
}

func ExampleStream() {
	srv, err := startFake()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	p, err := proxy.New(srv.URI(), proxy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	ctx := context.Background()
	s, err := p.Stream(ctx, "gen")
	if err != nil {
		log.Fatal(err)
	}
	for item, err := range s.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(item)
	}
	// Output:
	// a
	// b
	// c
}

func ExampleOptions() {
	// A proxy for a name registered in a name server, with a per-call
	// timeout, json and an HMAC key. Resolve is where a name server lookup
	// plugs in.
	p, err := proxy.New("PYRONAME:example.greeting", proxy.Options{
		Serializer: "json",
		Timeout:    5 * time.Second,
		HMACKey:    []byte("secret"),
		Resolve: func(ctx context.Context, u pyval.URI) (pyval.URI, error) {
			return pyval.ParseURI("PYRO:obj_123@localhost:9999") // a lookup, in real code
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	fmt.Println(p.URI())
	// Output: PYRONAME:example.greeting
}
