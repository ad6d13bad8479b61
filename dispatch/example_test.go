package dispatch_test

import (
	"context"
	"fmt"
	"iter"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// Calculator describes its remote interface with PyroExpose.
type Calculator struct{ memory float64 }

func (c *Calculator) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{
		Only:   []string{"Add", "Count", "Reset"},
		Oneway: []string{"Reset"},
		Attrs:  map[string]dispatch.Attr{"memory": {Get: "Memory", Set: "SetMemory"}},
		Params: map[string][]string{"Add": {"a", "b="}},
	}
}

func (c *Calculator) Add(a, b float64) float64 { return a + b }
func (c *Calculator) Reset()                   { c.memory = 0 }
func (c *Calculator) Memory() float64          { return c.memory }
func (c *Calculator) SetMemory(v float64)      { c.memory = v }

// Count streams the numbers below n: the client iterates over the result.
func (c *Calculator) Count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func Example() {
	r := dispatch.NewRegistry(dispatch.Options{RequireExpose: true, IterStreaming: true})
	if _, err := r.Register(&Calculator{}, "calc", false); err != nil {
		panic(err)
	}
	md, _ := r.Metadata("calc")
	fmt.Println("methods:", md.Methods, "oneway:", md.Oneway, "attrs:", md.Attrs)

	ctx := context.Background()
	invoke := func(method string, args []any, kwargs *pyval.Dict) {
		res, err := r.Invoke(ctx, nil, &serial.Call{Object: "calc", Method: method, Args: args, Kwargs: kwargs})
		if err != nil {
			fmt.Println(method, "raised", err)
			return
		}
		fmt.Printf("%s -> %v\n", method, res)
	}
	invoke("add", []any{int64(1)}, pyval.DictOf("b", 2.5))
	invoke("add", []any{"one"}, nil)
	invoke("__setattr__", []any{"memory", 4.0}, nil)
	invoke("__getattr__", []any{"memory"}, nil)
	invoke("multiply", nil, nil)
	invoke("_secret", nil, nil)
	// Output:
	// methods: [add count reset] oneway: [reset] attrs: [memory]
	// add -> 3.5
	// add raised TypeError: Calculator.add() argument 1 must be float, not str
	// __setattr__ -> <nil>
	// __getattr__ -> 4
	// multiply raised AttributeError: 'Calculator' object has no attribute 'multiply'
	// _secret raised AttributeError: attempt to access private attribute '_secret'
}

func ExampleRegistry_NextStreamItem() {
	r := dispatch.NewRegistry(dispatch.Options{RequireExpose: true, IterStreaming: true})
	if _, err := r.Register(&Calculator{}, "calc", false); err != nil {
		panic(err)
	}
	conn := r.NewConn(nil)
	defer conn.Close()
	res, _ := r.Invoke(context.Background(), &dispatch.CallContext{Conn: conn},
		&serial.Call{Object: "calc", Method: "count", Args: []any{int64(3)}})
	id := res.(dispatch.StreamStarted).ID
	for {
		item, err := r.NextStreamItem(conn, id)
		if err != nil {
			fmt.Println(err) // StopIteration at the end
			break
		}
		fmt.Println(item)
	}
	// Output:
	// 0
	// 1
	// 2
	// StopIteration
}

// Counter instances are made by the registry, one per connection.
type Counter struct{ n int }

func (c *Counter) Incr() int { c.n++; return c.n }

func ExampleNewClass() {
	r := dispatch.NewRegistry(dispatch.Options{}) // REQUIRE_EXPOSE off: every declared method is remote
	if _, err := r.Register(dispatch.NewClass[Counter](dispatch.Session, nil), "counter", false); err != nil {
		panic(err)
	}
	incr := &serial.Call{Object: "counter", Method: "incr"}
	a, b := r.NewConn(nil), r.NewConn(nil)
	for _, conn := range []*dispatch.Conn{a, a, b} {
		n, _ := r.Invoke(context.Background(), &dispatch.CallContext{Conn: conn}, incr)
		fmt.Println(n)
	}
	// Output:
	// 1
	// 2
	// 1
}

// Service is README.md's Exposure example.
type Service struct{ verbose bool }

func (s *Service) Echo(v any) any    { return v }
func (s *Service) Add(a, b int) int  { return a + b }
func (s *Service) Dunder() string    { return "dunder" }
func (s *Service) Notify(msg string) {}
func (s *Service) Verbose() bool     { return s.verbose }
func (s *Service) SetVerbose(v bool) { s.verbose = v }
func (s *Service) Internal()         {}
func (s *Service) Generator() iter.Seq[int] {
	return func(yield func(int) bool) { _ = yield(1) }
}

// README begin
func (s *Service) PyroExpose() dispatch.Exposure {
	return dispatch.Exposure{
		Only:   []string{"Echo", "Add", "Generator", "Dunder", "Notify"}, // REQUIRE_EXPOSE on: only these
		Names:  map[string]string{"Dunder": "__dunder__"},
		Oneway: []string{"Notify"}, // must be remote too (in Only)
		Attrs:  map[string]dispatch.Attr{"verbose": {Get: "Verbose", Set: "SetVerbose"}},
		Params: map[string][]string{"Add": {"a", "b="}}, // keyword names; "b=" is optional
		Hide:   []string{"Internal"},
	}
}

// README end

func ExampleExposure() {
	for _, requireExpose := range []bool{true, false} {
		r := dispatch.NewRegistry(dispatch.Options{RequireExpose: requireExpose})
		if _, err := r.Register(&Service{}, "svc", false); err != nil {
			fmt.Println(err)
			return
		}
		md, err := r.Metadata("svc")
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("methods:", md.Methods, "oneway:", md.Oneway, "attrs:", md.Attrs)
	}
	// Output:
	// methods: [__dunder__ add echo generator notify] oneway: [notify] attrs: [verbose]
	// methods: [__dunder__ add echo generator notify] oneway: [notify] attrs: [verbose]
}
