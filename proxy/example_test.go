package proxy_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/engine"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/tracing"
	"golang.org/x/sync/errgroup"
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
	p, err := proxy.New(srv.URI(), proxy.Options{})
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

// Point comes back from Python as a dict {'x': ..., 'y': ..., 'label': ...}.
type Point struct {
	X, Y  int16
	Label string
}

func ExampleAs() {
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

	// echo returns its argument: the struct goes out as a dict and comes
	// back as one, which As turns into a Point again.
	pt, err := proxy.As[Point](p.Call(ctx, "echo", Point{X: 1, Y: -2, Label: "a"}))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", pt)

	// A result out of the Go type's range is an error, not a wrapped value.
	_, err = proxy.As[int8](p.Call(ctx, "echo", 300))
	fmt.Println(errors.Is(err, pyval.ErrOverflow), err)
	// Output:
	// {X:1 Y:-2 Label:a}
	// true pyval: cannot convert int to int8: 300 does not fit
}

func ExampleProxy_Bind() {
	srv, err := startFake()
	if err != nil {
		log.Fatal(err)
	}
	uri := srv.URI()
	srv.Close()

	p, err := proxy.New(uri, proxy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	// Bind connects now, to fail early when the object is unreachable.
	err = p.Bind(context.Background())
	fmt.Println(errors.Is(err, pyval.ErrCommunication))
	// Output: true
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

	// As converts the results of a batch as a whole...
	b.Add("echo", 1)
	b.Add("echo", 2)
	ints, err := proxy.As[[]uint8](b.Run(context.Background()))
	fmt.Println(ints, err)
	// ...or one by one.
	b.Add("echo", "x")
	b.Add("echo", 2.5)
	results, _ = b.Run(context.Background())
	s, _ := proxy.As[string](results[0], nil)
	f, _ := proxy.As[float32](results[1], nil)
	fmt.Println(s, f)
	// Output:
	// [1 two] ValueError: boom
	// [1 2] <nil>
	// x 2.5
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
	for v, err := range s.All(ctx) {
		item, err := proxy.As[string](v, err)
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
	// timeout, json and an HMAC key. The config items come from the
	// environment (PYRO_SERIALIZER, ...), then the program. Resolve is where
	// a name server lookup (naming.Resolver) plugs in.
	cfg, err := config.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cfg.Serializer = "json"
	cfg.CommTimeout = 5 * time.Second
	p, err := proxy.New("PYRONAME:example.greeting", proxy.Options{
		Config:  &cfg,
		HMACKey: []byte("secret"),
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

// Example_readme is the proxy snippet of README.md, compiled here so it
// cannot rot; TestREADMESnippets (internal/readme) checks that the two say
// the same. It is not run: its URI names the Pyro4 echo server.
func Example_readme() {
	if err := readmeProxy(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func readmeProxy(ctx context.Context) error {
	// README begin
	p, err := proxy.New("PYRO:test.echoserver@localhost:9999", proxy.Options{}) // connects on the first call
	if err != nil {
		return err
	}
	defer p.Close()
	v, err := p.Call(ctx, "echo", "hello") // any Go values in, pyval values out
	if err != nil {
		return err
	}
	n, err := proxy.As[int16](p.Call(ctx, "echo", 42)) // or a Go type out: structs, ints, slices, maps...
	if err != nil {
		return err
	}
	fmt.Println(v, n)
	if err := p.Set(ctx, "verbose", true); err != nil { // remote attributes
		return err
	}
	st, err := p.Stream(ctx, "generator") // item streams
	if err != nil {
		return err
	}
	for item, err := range st.All(ctx) {
		if err != nil {
			return err
		}
		fmt.Println(item)
	}
	b := p.Batch() // several calls in one round trip
	b.Add("echo", 1)
	b.Add("echo", 2)
	res, err := b.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Println(res)
	return nil
	// README end
}

// Example_readmePipeline is README.md's pipelining snippet, compiled here
// so it cannot rot; ExampleOptions_pipeline runs the same against a server.
func Example_readmePipeline() {
	if err := readmePipeline(context.Background(), "PYRO:test.echoserver@localhost:9999"); err != nil {
		log.Fatal(err)
	}
}

func readmePipeline(ctx context.Context, uri string) error {
	// README begin
	p, err := proxy.New(uri, proxy.Options{Pipeline: true}) // one connection for every goroutine
	if err != nil {
		return err
	}
	defer p.Close()
	var g errgroup.Group
	for i := range 32 {
		g.Go(func() error {
			_, err := p.Call(ctx, "echo", i) // 32 calls in flight at once
			return err
		})
	}
	return g.Wait()
	// README end
}

func ExampleOptions_pipeline() {
	srv, err := startFake()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := readmePipeline(ctx, srv.URI()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("32 calls over one connection:", srv.accepted.Load() == 1)
	// Output: 32 calls over one connection: true
}

// Example_readmeTracing is README.md's tracing snippet, compiled here so it
// cannot rot. It is not run.
func Example_readmeTracing() {
	uri := "PYRO:test.echoserver@localhost:9999"
	// README begin
	d, _ := engine.New(engine.Options{Interceptors: []engine.Interceptor{tracing.Server(tracing.Options{})}})
	p, _ := proxy.New(uri, proxy.Options{Intercept: tracing.Client(tracing.Options{})})
	// README end
	_, _ = d, p
}
