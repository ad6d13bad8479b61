package dispatch

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

// fastPtr has every fast signature on pointer receivers; the results
// depend on the receiver's state, so a wrong receiver shows.
type fastPtr struct{ n int }

func (f *fastPtr) StrStr(s string) string { return s + "!" }
func (f *fastPtr) StrStrErr(s string) (string, error) {
	if s == "" {
		return "", errPlain
	}
	return s + "?", nil
}
func (f *fastPtr) AnyAny(v any) any { return pyval.Tuple{v, f.n} }
func (f *fastPtr) AnyAnyErr(v any) (any, error) {
	if v == nil {
		return nil, errPlain
	}
	return v, nil
}
func (f *fastPtr) IntInt(a, b int) int         { return a*b + f.n }
func (f *fastPtr) I64I64(a, b int64) int64     { return a - b + int64(f.n) }
func (f *fastPtr) F64F64(a, b float64) float64 { return a / b }
func (f *fastPtr) Void()                       {}
func (f *fastPtr) Err() error                  { return errPlain }
func (f *fastPtr) Any() any                    { return f.n }
func (f *fastPtr) Str() string                 { return "str" }
func (f *fastPtr) VarAny(a ...any) any         { return pyval.Tuple{len(a), f.n} }
func (f *fastPtr) VarVoid(a ...any)            {}
func (f *fastPtr) StrVoid(s string)            {}
func (f *fastPtr) AnyVoid(v any)               {}
func (f *fastPtr) VarTuple(a ...any) pyval.Tuple {
	return append(pyval.Tuple(a), f.n)
}
func (f *fastPtr) Boom(s string) string { panic("boom " + s) }

// fastVal has them on value receivers, registered by value.
type fastVal struct{ n int }

func (f fastVal) StrStr(s string) string { return s + "!" }
func (f fastVal) StrStrErr(s string) (string, error) {
	if s == "" {
		return "", errPlain
	}
	return s + "?", nil
}
func (f fastVal) AnyAny(v any) any { return pyval.Tuple{v, f.n} }
func (f fastVal) AnyAnyErr(v any) (any, error) {
	if v == nil {
		return nil, errPlain
	}
	return v, nil
}
func (f fastVal) IntInt(a, b int) int         { return a*b + f.n }
func (f fastVal) I64I64(a, b int64) int64     { return a - b + int64(f.n) }
func (f fastVal) F64F64(a, b float64) float64 { return a / b }
func (f fastVal) Void()                       {}
func (f fastVal) Err() error                  { return errPlain }
func (f fastVal) Any() any                    { return f.n }
func (f fastVal) VarAny(a ...any) any         { return pyval.Tuple{len(a), f.n} }
func (f fastVal) VarVoid(a ...any)            {}
func (f fastVal) StrVoid(s string)            {}
func (f fastVal) AnyVoid(v any)               {}
func (f fastVal) VarTuple(a ...any) pyval.Tuple {
	return append(pyval.Tuple(a), f.n)
}
func (f fastVal) Str() string          { return "str" }
func (f fastVal) Boom(s string) string { panic("boom " + s) }

// fastCases call each fast shape of fastPtr and fastVal.
var fastCases = []invokeCase{
	{name: "str str", method: "str_str", args: []any{"a"}, want: "a!"},
	{name: "str str err", method: "str_str_err", args: []any{"a"}, want: "a?"},
	{name: "str str err fails", method: "str_str_err", args: []any{""}, class: pyval.ClassRuntimeError, message: "plain failure"},
	{name: "any any", method: "any_any", args: []any{"v"}, want: pyval.Tuple{"v", 10}},
	{name: "any any err", method: "any_any_err", args: []any{int64(1)}, want: int64(1)},
	{name: "any any err fails", method: "any_any_err", args: []any{nil}, class: pyval.ClassRuntimeError, message: "plain failure"},
	{name: "int int", method: "int_int", args: []any{int64(6), int64(7)}, want: int64(52)},
	{name: "i64 i64", method: "i64_i64", args: []any{int64(6), int64(7)}, want: int64(9)},
	{name: "f64 f64", method: "f64_f64", args: []any{1.0, 4.0}, want: 0.25},
	{name: "void", method: "void", want: nil},
	{name: "err", method: "err", class: pyval.ClassRuntimeError, message: "plain failure"},
	{name: "any", method: "any", want: 10},
	{name: "str", method: "str", want: "str"},
	{name: "var any", method: "var_any", args: []any{"a", int64(1)}, want: pyval.Tuple{2, 10}},
	{name: "var tuple", method: "var_tuple", args: []any{"a", nil}, want: pyval.Tuple{"a", nil, 10}},
	{name: "var tuple no args", method: "var_tuple", want: pyval.Tuple{10}},
	{name: "var void", method: "var_void", args: []any{"a"}, want: nil},
	{name: "str void", method: "str_void", args: []any{"a"}, want: nil},
	{name: "any void", method: "any_void", args: []any{int64(1)}, want: nil},
	{name: "panics", method: "boom", args: []any{"x"}, class: pyval.ClassRuntimeError, message: "panic: boom x"},
	// Not an exact fit: the general path converts or reports.
	{name: "int int from bool", method: "int_int", args: []any{true, int64(7)}, want: 17},
	{name: "f64 from int", method: "f64_f64", args: []any{int64(1), 4.0}, want: 0.25},
	{name: "str str wrong type", method: "str_str", args: []any{int64(1)},
		class: typeError, message: "fastPtr.str_str() argument 1 must be str, not int"},
}

func TestFastPaths(t *testing.T) {
	cases := fastCases
	for _, obj := range []any{&fastPtr{n: 10}, fastVal{n: 10}} {
		t.Run(reflect.TypeOf(obj).String(), func(t *testing.T) {
			r := registered(t, obj, "f")
			e := r.state.Load().byID["f"]
			for name, m := range e.tab.methods {
				if m.fast == fastNone || m.expr == nil {
					t.Errorf("%s has no fast path", name)
				}
			}
			tests := cases
			if _, isVal := obj.(fastVal); isVal {
				tests = append([]invokeCase(nil), cases...)
				tests[len(tests)-1].message = "fastVal.str_str() argument 1 must be str, not int"
			}
			runInvokeCases(t, r, "f", tests)
		})
	}
}

// TestFastPathsInBatch: InvokeBatch runs the fast shapes itself; each of
// them, between two good calls, gives what Invoke's "<batch>" gives: the
// same results, and an error or a panic ending the batch as the same
// exception.
func TestFastPathsInBatch(t *testing.T) {
	for _, obj := range []any{&fastPtr{n: 10}, fastVal{n: 10}} {
		r := registered(t, obj, "f")
		e := func(m string, args ...any) pyval.Tuple { return pyval.Tuple{m, pyval.Tuple(args), pyval.NewDict(0)} }
		for _, tc := range fastCases {
			entries := []pyval.Tuple{e("str_str", "a"), e(tc.method, tc.args...), e("var_tuple", "b"), e("var_tuple", "c")}
			checkBatchAsBatch(t, fmt.Sprintf("%T %s", obj, tc.name), r, "f", entries, nil)
		}
		checkBatchAsBatch(t, fmt.Sprintf("%T kwargs", obj), r, "f",
			[]pyval.Tuple{e("str_str", "a"), {"str_str", pyval.Tuple{}, pyval.DictOf("s", "b")}, {"var_tuple", pyval.Tuple{}, nil}}, nil)
	}
}

type keeper struct{ kept []any }

func (k *keeper) Keep(a ...any) any { k.kept = a; return len(a) }

// TestVariadicFastPathCopiesArgs: a variadic method may keep its slice, as
// a Go callee may; the caller's args array, which the daemon reuses for
// the next call, must not be it.
func TestVariadicFastPathCopiesArgs(t *testing.T) {
	k := &keeper{}
	r := registered(t, k, "k")
	args := []any{"first"}
	if _, err := r.Invoke(context.Background(), nil, &serial.Call{Object: "k", Method: "keep", Args: args}); err != nil {
		t.Fatal(err)
	}
	args[0] = "overwritten"
	if len(k.kept) != 1 || k.kept[0] != "first" {
		t.Errorf("the method's slice is the caller's array: kept %q", k.kept)
	}
}

type tupleEcho struct{ kept pyval.Tuple }

// Echo is Pyro4's benchmark echo, def echo(*args): return args.
func (e *tupleEcho) Echo(a ...any) pyval.Tuple { return a }

// Keep returns its arguments and keeps them.
func (e *tupleEcho) Keep(a ...any) pyval.Tuple { e.kept = a; return a }

// Other returns a tuple of its own.
func (e *tupleEcho) Other(a ...any) pyval.Tuple { return pyval.Tuple{len(a)} }

// TestVarTupleEcho: a variadic method that returns its arguments gets a
// copy of the caller's array, its result is that copy (boxed with it, in
// one allocation), and other results come back as they are.
func TestVarTupleEcho(t *testing.T) {
	e := &tupleEcho{}
	r := registered(t, e, "e")
	ctx := context.Background()
	for _, args := range [][]any{nil, {"a"}, {"a", int64(2)}, {"a", int64(2), 3.5}} {
		for _, method := range []string{"echo", "keep", "other"} {
			in := slices.Clone(args)
			got, err := r.Invoke(ctx, nil, &serial.Call{Object: "e", Method: method, Args: in})
			if err != nil {
				t.Fatal(err)
			}
			for i := range in {
				in[i] = "overwritten" // the daemon reuses its array
			}
			want := pyval.Tuple(slices.Clone(args))
			if method == "other" {
				want = pyval.Tuple{len(args)}
			}
			if gt, ok := got.(pyval.Tuple); !ok || !slices.Equal(gt, want) {
				t.Errorf("%s%v = %#v, want %#v", method, args, got, want)
			}
			if method == "keep" && !slices.Equal(e.kept, pyval.Tuple(slices.Clone(args))) {
				t.Errorf("keep%v kept %#v", args, e.kept)
			}
		}
	}
	call := &serial.Call{Object: "e", Method: "echo", Args: []any{"a"}}
	if n := testing.AllocsPerRun(100, func() { r.Invoke(ctx, nil, call) }); n != 1 {
		t.Errorf("echo of one argument: %v allocations, want 1", n)
	}
}

// keepAll is a variadic method that keeps every argument slice it gets.
type keepAll struct{ kept [][]any }

func (k *keepAll) Keep(a ...any) pyval.Tuple { k.kept = append(k.kept, a); return a }
func (k *keepAll) Hold(a ...any)             { k.kept = append(k.kept, a) }

// TestBatchArgBlock: the calls of one batch take their variadic argument
// copies from shared blocks; each still gets a slice of its own that later
// calls of the batch, and the next batch, leave alone, and a batch of them
// allocates a handful of times rather than once per call.
func TestBatchArgBlock(t *testing.T) {
	k := &keepAll{}
	r := registered(t, k, "k")
	ctx := context.Background()
	batch := func(method string, n, width int) *serial.Batch {
		b := &serial.Batch{Object: "k"}
		for i := range n {
			args := make([]any, width)
			for j := range args {
				args[j] = int64(i*10 + j)
			}
			b.Calls = append(b.Calls, serial.Call{Method: method, Args: args})
		}
		return b
	}
	for _, tc := range []struct {
		method string
		width  int
	}{{"keep", 1}, {"keep", 2}, {"hold", 1}, {"hold", 3}, {"keep", 6}} {
		k.kept = nil
		for range 2 { // a second batch must not touch the first's slices
			b := batch(tc.method, 5, tc.width)
			out, err := r.InvokeBatch(ctx, nil, b, nil)
			if err != nil || len(out) != 5 {
				t.Fatalf("%s x%d: %v, %d results", tc.method, tc.width, err, len(out))
			}
			for i := range b.Calls {
				clear(b.Calls[i].Args) // the session reuses its arrays
			}
		}
		for i, a := range k.kept {
			for j, v := range a {
				if want := int64((i%5)*10 + j); v != want || len(a) != tc.width {
					t.Fatalf("%s x%d: call %d kept %v, want width %d starting %d", tc.method, tc.width, i, a, tc.width, (i%5)*10)
				}
			}
			if cap(a) != len(a) {
				t.Errorf("%s x%d: call %d's slice has room (cap %d) for an append to spill into another call's", tc.method, tc.width, i, cap(a))
			}
		}
	}
	b := batch("keep", 64, 1)
	results := make([]any, 0, 64)
	k.kept = make([][]any, 0, 64)
	if n := testing.AllocsPerRun(50, func() {
		k.kept = k.kept[:0]
		r.InvokeBatch(ctx, nil, b, results[:0])
	}); n != 1 {
		t.Errorf("a batch of 64 variadic echoes: %v allocations, want 1", n)
	}
}

// TestInvokeOwned: InvokeOwned hands a variadic method the caller's array
// itself, with no allocation, where Invoke gives it a copy; the methods
// that are not variadic see no difference.
func TestInvokeOwned(t *testing.T) {
	k := &keepAll{}
	r := registered(t, k, "k")
	ctx := context.Background()
	for _, owned := range []bool{false, true} {
		k.kept = nil
		args := []any{"a", int64(1)}
		call := &serial.Call{Object: "k", Method: "hold", Args: args}
		var err error
		if owned {
			_, err = r.InvokeOwned(ctx, nil, call)
		} else {
			_, err = r.Invoke(ctx, nil, call)
		}
		if err != nil || len(k.kept) != 1 {
			t.Fatalf("owned=%v: %v, kept %v", owned, err, k.kept)
		}
		if same := &k.kept[0][0] == &args[0]; same != owned {
			t.Errorf("owned=%v: the method's slice is the caller's array: %v", owned, same)
		}
		if owned != (call.Args == nil) {
			t.Errorf("owned=%v: call.Args after the call is %v", owned, call.Args)
		}
	}
	// a method that is not variadic leaves the array to the caller
	if _, err := r.Register(&benchStr{}, "s", false); err != nil {
		t.Fatal(err)
	}
	call := &serial.Call{Object: "s", Method: "echo", Args: []any{"a"}}
	if _, err := r.InvokeOwned(ctx, nil, call); err != nil || call.Args == nil {
		t.Errorf("func(string) string: %v, call.Args %v after the call, want the caller's array back", err, call.Args)
	}
	call = &serial.Call{Object: "k", Method: "hold", Args: []any{"a"}}
	k.kept = make([][]any, 0, 200)
	args := call.Args
	if n := testing.AllocsPerRun(100, func() { call.Args = args; r.InvokeOwned(ctx, nil, call) }); n != 0 {
		t.Errorf("InvokeOwned of a variadic method: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { k.kept = k.kept[:0]; call.Args = args; r.Invoke(ctx, nil, call) }); n != 1 {
		t.Errorf("Invoke of a variadic method: %v allocations, want 1 (the copy)", n)
	}
}

type benchStr struct{}

func (benchStr) Echo(s string) string { return s }
