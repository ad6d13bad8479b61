package pyval_test

import (
	"fmt"

	"github.com/gyro-rpc/gyro/pyval"
)

// FromGo turns Go values into the Python values the serializers send:
// structs become dicts with snake_case keys.
func ExampleFromGo() {
	type Point struct{ X, Y int }
	v, err := pyval.FromGo(Point{X: 1, Y: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := v.(*pyval.Dict)
	x, _ := d.Get("x")
	fmt.Println(d.Len(), x)
	// Output: 2 1
}

// A Pyro4 URI, parsed as Pyro4 parses it.
func ExampleParseURI() {
	u, err := pyval.ParseURI("PYRO:example.thing@localhost:9090")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(u.Object, u.Host, u.Port)
	// Output: example.thing localhost 9090
}

// A Python exception, as a remote call raises it.
func ExampleNewException() {
	e := pyval.NewException(pyval.ClassValueError, "invalid literal")
	fmt.Println(e.Name(), "-", e.Message())
	fmt.Println(e)
	// Output:
	// ValueError - invalid literal
	// ValueError: invalid literal
}

// Serpent has no bytes literal: a Python client's bytes arrive as a dict,
// which AsBytes decodes as serpent.tobytes does in Python.
func ExampleAsBytes() {
	received := pyval.DictOf("data", "aGVsbG8=", "encoding", "base64")
	b, ok := pyval.AsBytes(received)
	fmt.Println(string(b), ok)
	// Output: hello true
}
