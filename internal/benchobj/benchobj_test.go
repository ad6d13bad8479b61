package benchobj_test

import (
	"context"
	"testing"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/internal/benchobj"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// TestBenchObject calls every method of bench.py's object through gyro's
// dispatcher by its Python name, as Pyro4's benchmark client does.
func TestBenchObject(t *testing.T) {
	reg := dispatch.NewRegistry(dispatch.Options{})
	if _, err := reg.Register(benchobj.Bench{}, benchobj.ObjectID, false); err != nil {
		t.Fatal(err)
	}
	many := make([]any, 15)
	for i := range many {
		many[i] = int64(i + 1)
	}
	tests := []struct {
		method string
		args   []any
		want   any
	}{
		{"length", []any{"hello"}, int64(5)},
		{"timestwo", []any{int64(21)}, int64(42)},
		{"timestwo", []any{"ab"}, "abab"},
		{"bigarg", []any{"xyz"}, int64(3)},
		{"manyargs", many, int64(120)},
		{"noreply", []any{"x"}, nil},
		{"varargs", []any{int64(1), int64(2)}, int64(2)},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			got, err := reg.Invoke(context.Background(), &dispatch.CallContext{}, &serial.Call{Object: benchobj.ObjectID, Method: tt.method, Args: tt.args})
			if err != nil {
				t.Fatal(err)
			}
			got = normalize(got)
			if got != tt.want {
				t.Fatalf("%s = %#v, want %#v", tt.method, got, tt.want)
			}
		})
	}
	got, err := reg.Invoke(context.Background(), &dispatch.CallContext{}, &serial.Call{Object: benchobj.ObjectID, Method: "echo", Args: []any{"a", int64(1)}})
	if tup, ok := got.(pyval.Tuple); err != nil || !ok || len(tup) != 2 || tup[0] != "a" {
		t.Fatalf("echo = %#v, %v", got, err)
	}
	md, err := reg.Metadata(benchobj.ObjectID)
	if err != nil {
		t.Fatal(err)
	}
	if len(md.Oneway) != 1 || md.Oneway[0] != "oneway" {
		t.Errorf("oneway methods %v, want [oneway]", md.Oneway)
	}
	if n := len(benchobj.Bench{}.Bigreply()); n != len("BIG REPLY")*500 {
		t.Errorf("bigreply is %d bytes", n)
	}
}

// normalize turns Go ints into the int64 the wire would carry.
func normalize(v any) any {
	if i, ok := v.(int); ok {
		return int64(i)
	}
	return v
}
