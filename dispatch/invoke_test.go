package dispatch

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

type invokeCase struct {
	name    string
	method  string
	args    []any
	kwargs  *pyval.Dict
	want    any    // result when class is ""
	class   string // expected exception class
	message string // expected exception message
}

func runInvokeCases(t *testing.T, r *Registry, id string, tests []invokeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := call(r, &CallContext{}, id, tt.method, tt.args, tt.kwargs)
			if tt.class == "" {
				if err != nil {
					t.Fatalf("%s: unexpected error %v", tt.method, err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("%s = %#v, want %#v", tt.method, got, tt.want)
				}
				return
			}
			e := exc(t, err)
			if e.Class != tt.class || e.Message() != tt.message {
				t.Fatalf("%s raised %s(%q), want %s(%q)", tt.method, e.Class, e.Message(), tt.class, tt.message)
			}
		})
	}
}

const (
	typeError      = pyval.ClassTypeError
	attributeError = pyval.ClassAttributeError
)

func TestInvoke(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	huge, _ := new(big.Int).SetString("1180591620717411303424", 10)
	serpentBytes := pyval.DictOf("data", "aGVsbG8=", "encoding", "base64")
	runInvokeCases(t, r, "svc", []invokeCase{
		{name: "echo", method: "echo", args: []any{"hi"}, want: "hi"},
		{name: "echo none", method: "echo", args: []any{nil}, want: nil},
		{name: "echo dict", method: "echo", args: []any{pyval.DictOf("a", int64(1))}, want: pyval.DictOf("a", int64(1))},
		{name: "add", method: "add", args: []any{int64(2), int64(3)}, want: int64(5)},
		{name: "add bool is int", method: "add", args: []any{true, int64(3)}, want: 4},
		{name: "add big fits", method: "add", args: []any{big.NewInt(7), int64(3)}, want: 10},
		{name: "add missing", method: "add", args: []any{int64(1)},
			class: typeError, message: "Svc.add() missing 1 required positional argument: 'arg2'"},
		{name: "add none", method: "add",
			class: typeError, message: "Svc.add() missing 2 required positional arguments: 'arg1' and 'arg2'"},
		{name: "add too many", method: "add", args: []any{int64(1), int64(2), int64(3)},
			class: typeError, message: "Svc.add() takes 3 positional arguments but 4 were given"},
		{name: "add str", method: "add", args: []any{"x", int64(1)},
			class: typeError, message: "Svc.add() argument 1 must be int, not str"},
		{name: "add float", method: "add", args: []any{int64(1), 2.5},
			class: typeError, message: "Svc.add() argument 2 must be int, not float"},
		{name: "add overflow", method: "add", args: []any{huge, int64(1)},
			class: "builtins.OverflowError", message: "Svc.add() argument 1: int 1180591620717411303424 out of range for int"},
		{name: "add kwarg without params", method: "add", args: []any{int64(1)}, kwargs: pyval.DictOf("arg2", int64(2)),
			class: typeError, message: "Svc.add() got an unexpected keyword argument 'arg2'"},
		{name: "int8", method: "int8", args: []any{int64(-5)}, want: int8(-5)},
		{name: "int8 overflow", method: "int8", args: []any{int64(300)},
			class: "builtins.OverflowError", message: "Svc.int8() argument 1: int 300 out of range for int8"},
		{name: "dunder", method: "__dunder__", want: "should be allowed (dunder)"},
		{name: "greet", method: "greet", args: []any{"bob"}, want: "hello bob"},
		{name: "greet both", method: "greet", args: []any{"bob", "hi"}, want: "hi bob"},
		{name: "greet kw", method: "greet", kwargs: pyval.DictOf("name", "x"), want: "hello x"},
		{name: "greet kw both", method: "greet", kwargs: pyval.DictOf("greeting", "yo", "name", "x"), want: "yo x"},
		{name: "greet empty kwargs", method: "greet", args: []any{"z"}, kwargs: pyval.NewDict(0), want: "hello z"},
		{name: "greet missing", method: "greet",
			class: typeError, message: "Svc.greet() missing 1 required positional argument: 'name'"},
		{name: "greet too many", method: "greet", args: []any{"a", "b", "c"},
			class: typeError, message: "Svc.greet() takes from 2 to 3 positional arguments but 4 were given"},
		{name: "greet twice", method: "greet", args: []any{"a"}, kwargs: pyval.DictOf("name", "b"),
			class: typeError, message: "Svc.greet() got multiple values for argument 'name'"},
		{name: "greet unknown kw", method: "greet", args: []any{"a"}, kwargs: pyval.DictOf("nope", int64(1)),
			class: typeError, message: "Svc.greet() got an unexpected keyword argument 'nope'"},
		{name: "greet kw type", method: "greet", kwargs: pyval.DictOf("name", int64(1)),
			class: typeError, message: "Svc.greet() argument 'name' must be str, not int"},
		{name: "greet kw not str", method: "greet", kwargs: pyval.DictOf(int64(1), "x"),
			class: typeError, message: "keywords must be strings"},
		{name: "opts", method: "opts", args: []any{int64(1), "x"}, want: "1 x  nil=true"},
		{name: "opts kwargs", method: "opts", args: []any{int64(1)}, kwargs: pyval.DictOf("b", "x", "z", int64(3), "y", int64(2)),
			want: "1 x y=2,z=3 nil=false"},
		{name: "opts missing", method: "opts", kwargs: pyval.DictOf("a", int64(1)),
			class: typeError, message: "Svc.opts() missing 1 required positional argument: 'b'"},
		{name: "sum none", method: "sum", want: 0},
		{name: "sum", method: "sum", args: []any{int64(1), int64(2), int64(3)}, want: 6},
		{name: "sum bad", method: "sum", args: []any{int64(1), "x"},
			class: typeError, message: "Svc.sum() argument 2 must be int, not str"},
		{name: "pair", method: "pair", want: pyval.Tuple{1, "one"}},
		{name: "nothing", method: "nothing", want: nil},
		{name: "ctx", method: "ctx", want: "svc"},
		{name: "bytes", method: "bytes", args: []any{[]byte("abc")}, want: 3},
		{name: "bytes serpent", method: "bytes", args: []any{serpentBytes}, want: 5},
		{name: "bytes str", method: "bytes", args: []any{"abc"},
			class: typeError, message: "Svc.bytes() argument 1 must be bytes, not str"},
		{name: "strs list", method: "strs", args: []any{[]any{"a", "b"}}, want: "a,b"},
		{name: "strs tuple", method: "strs", args: []any{pyval.Tuple{"a"}}, want: "a"},
		{name: "strs set", method: "strs", args: []any{pyval.Set{"s"}}, want: "s"},
		{name: "strs item", method: "strs", args: []any{[]any{"a", int64(1)}},
			class: typeError, message: "Svc.strs() argument 1[1] must be str, not int"},
		{name: "point", method: "point", args: []any{pyval.DictOf("x", int64(1), "y", int64(2), "label", "p", "extra", nil)}, want: "1/2/p"},
		{name: "point field", method: "point", args: []any{pyval.DictOf("x", "a")},
			class: typeError, message: "Svc.point() argument 1['x'] must be int, not str"},
		{name: "panic", method: "panic", class: pyval.ClassRuntimeError, message: "panic: boom"},
		{name: "hidden", method: "secret", class: attributeError, message: "attempt to access unexposed attribute 'secret'"},
		{name: "not in only", method: "unlisted", class: attributeError, message: "attempt to access unexposed attribute 'unlisted'"},
		{name: "promoted", method: "inherited", class: attributeError, message: "attempt to access unexposed attribute 'inherited'"},
		{name: "accessor", method: "set_verbose", class: attributeError, message: "attempt to access unexposed attribute 'set_verbose'"},
		{name: "attr as method", method: "verbose", class: attributeError, message: "attempt to access unexposed attribute 'verbose'"},
		{name: "gyro hook", method: "pyro_expose", class: attributeError, message: "'Svc' object has no attribute 'pyro_expose'"},
		{name: "unknown", method: "nope", class: attributeError, message: "'Svc' object has no attribute 'nope'"},
		{name: "unknown dunder", method: "__len__", class: attributeError, message: "'Svc' object has no attribute '__len__'"},
		{name: "private", method: "_private", class: attributeError, message: "attempt to access private attribute '_private'"},
		{name: "private mangled", method: "_Svc__private", class: attributeError, message: "attempt to access private attribute '_Svc__private'"},
		{name: "never remote", method: "__init__", class: attributeError, message: "attempt to access private attribute '__init__'"},
		{name: "dotted", method: "echo.__class__", class: attributeError, message: "'Svc' object has no attribute 'echo.__class__'"},
	})

	t.Run("unknown object", func(t *testing.T) {
		_, err := call(r, nil, "nope", "echo", []any{"x"}, nil)
		if e := exc(t, err); e.Class != pyval.ClassDaemonError || e.Message() != "unknown object" {
			t.Fatalf("got %v", e)
		}
	})
}

func TestInvokeNoRequireExpose(t *testing.T) {
	r := registered(t, &Svc{verbose: true}, "svc")
	runInvokeCases(t, r, "svc", []invokeCase{
		{name: "unlisted", method: "unlisted", want: "unlisted"},
		{name: "attr as method", method: "verbose", class: typeError, message: "'bool' object is not callable"},
		{name: "hidden", method: "secret", class: attributeError, message: "attempt to access unexposed attribute 'secret'"},
		{name: "promoted", method: "ptr_inherited", class: attributeError, message: "attempt to access unexposed attribute 'ptr_inherited'"},
	})
}

func TestAttributes(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	const unexposed = "attempt to access unexposed or unknown remote attribute '%s'"
	runInvokeCases(t, r, "svc", []invokeCase{
		{name: "get", method: "__getattr__", args: []any{"verbose"}, want: false},
		{name: "set", method: "__setattr__", args: []any{"verbose", true}, want: nil},
		{name: "get after set", method: "__getattr__", args: []any{"verbose"}, want: true},
		{name: "read-only get", method: "__getattr__", args: []any{"hits"}, want: 0},
		{name: "read-only set", method: "__setattr__", args: []any{"hits", int64(3)},
			class: attributeError, message: fmt.Sprintf(unexposed, "hits")},
		{name: "method", method: "__getattr__", args: []any{"echo"},
			class: attributeError, message: fmt.Sprintf(unexposed, "echo")},
		{name: "set method", method: "__setattr__", args: []any{"echo", int64(1)},
			class: attributeError, message: fmt.Sprintf(unexposed, "echo")},
		{name: "hidden method", method: "__getattr__", args: []any{"secret"},
			class: attributeError, message: fmt.Sprintf(unexposed, "secret")},
		{name: "unknown", method: "__getattr__", args: []any{"nope"},
			class: attributeError, message: "type object 'Svc' has no attribute 'nope'"},
		{name: "unknown private", method: "__getattr__", args: []any{"_v"},
			class: attributeError, message: "type object 'Svc' has no attribute '_v'"},
		{name: "set unknown", method: "__setattr__", args: []any{"nope", int64(1)},
			class: attributeError, message: "type object 'Svc' has no attribute 'nope'"},
		{name: "set wrong type", method: "__setattr__", args: []any{"verbose", "yes"},
			class: typeError, message: "Svc.verbose() argument 1 must be bool, not str"},
		{name: "get no name", method: "__getattr__",
			class: typeError, message: "__getattr__ expected 1 argument, got 0"},
		{name: "get name not str", method: "__getattr__", args: []any{int64(1)},
			class: typeError, message: "attribute name must be string, not 'int'"},
	})
}

func TestBatch(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	svc := &Svc{}
	if _, err := r.Register(svc, "svc", false); err != nil {
		t.Fatal(err)
	}
	entry := func(m string, args ...any) any { return pyval.Tuple{m, pyval.Tuple(args), pyval.NewDict(0)} }

	t.Run("success", func(t *testing.T) {
		got, err := call(r, nil, "svc", serial.MethodBatch, []any{
			entry("echo", int64(1)),
			entry("add", int64(1), int64(2)),
			[]any{"greet", []any{}, pyval.DictOf("name", "json")}, // json sends lists
			[]any{"nothing", []any{}, pyval.NewDict(0)},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []any{int64(1), int64(3), "hello json", nil}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("batch = %#v, want %#v", got, want)
		}
	})
	for _, tt := range []struct {
		name, bad, class, message string
	}{
		{"unknown name", "nope", attributeError, "'Svc' object has no attribute 'nope'"},
		{"private name", "_x", attributeError, "attempt to access private attribute '_x'"},
		{"getattr is private", "__getattr__", attributeError, "attempt to access private attribute '__getattr__'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := svc.hits
			_, err := call(r, nil, "svc", serial.MethodBatch, []any{entry("echo", int64(1)), entry(tt.bad)}, nil)
			if e := exc(t, err); e.Class != tt.class || e.Message() != tt.message {
				t.Fatalf("got %s(%q)", e.Class, e.Message())
			}
			if svc.hits != before+1 {
				t.Fatalf("calls before the bad name should have run, as in Pyro4")
			}
		})
	}
	// Each case checked against Pyro4 4.82's daemon (_pyroInvoke of
	// "<batch>" with FLAGS_BATCH): an exception from an entry, including
	// Python's for arguments it cannot spread, ends the batch as that
	// entry's result; an entry that does not unpack, or a name that is not
	// a str, fails the whole call.
	for _, tt := range []struct {
		name    string
		bad     any
		whole   bool // the whole call fails, rather than the entry
		class   string
		message string
	}{
		{"the method raises", entry("fail", "value"), false, pyval.ClassValueError, "bad value"},
		{"None args and kwargs", []any{"nothing", nil, nil}, false, typeError, "Svc.nothing() argument after ** must be a mapping, not NoneType"},
		{"None kwargs", pyval.Tuple{"echo", pyval.Tuple{int64(2)}, nil}, false, typeError, "Svc.echo() argument after ** must be a mapping, not NoneType"},
		{"int args", pyval.Tuple{"echo", int64(5), pyval.NewDict(0)}, false, typeError, "Svc.echo() argument after * must be an iterable, not int"},
		{"int kwargs", pyval.Tuple{"echo", pyval.Tuple{int64(2)}, int64(7)}, false, typeError, "Svc.echo() argument after ** must be a mapping, not int"},
		{"two items", pyval.Tuple{"echo", pyval.Tuple{int64(2)}}, true, pyval.ClassValueError, "not enough values to unpack (expected 3, got 2)"},
		{"a str", "echo", true, pyval.ClassValueError, "too many values to unpack (expected 3)"},
		{"an int", int64(5), true, typeError, "cannot unpack non-iterable int object"},
		{"int name", pyval.Tuple{int64(5), pyval.Tuple{}, pyval.NewDict(0)}, true, attributeError, "'int' object has no attribute 'startswith'"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// the entry after the bad one must not run
			got, err := call(r, nil, "svc", serial.MethodBatch, []any{entry("echo", int64(1)), tt.bad, entry("echo", int64(3))}, nil)
			if tt.whole {
				if e := exc(t, err); e.Class != tt.class || e.Message() != tt.message {
					t.Fatalf("got %s(%q), want %s(%q)", e.Class, e.Message(), tt.class, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res := got.([]any)
			if len(res) != 2 || res[0] != int64(1) {
				t.Fatalf("batch = %#v", res)
			}
			w, ok := res[1].(pyval.ExceptionWrapper)
			if !ok {
				t.Fatalf("last entry %#v is not an ExceptionWrapper", res[1])
			}
			if e := exc(t, w.Exception); e.Class != tt.class || e.Message() != tt.message {
				t.Fatalf("wrapped %s(%q), want %s(%q)", e.Class, e.Message(), tt.class, tt.message)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	runInvokeCases(t, r, "svc", []invokeCase{
		{name: "exception", method: "fail", args: []any{"value"}, class: pyval.ClassValueError, message: "bad value"},
		{name: "pyro class", method: "fail", args: []any{"naming"}, class: pyval.ClassNamingError, message: "no such name"},
		{name: "wrapped", method: "fail", args: []any{"wrapped"}, class: pyval.ClassValueError, message: "loading: bad value"},
		{name: "sentinel", method: "fail", args: []any{"sentinel"}, class: pyval.ClassValueError, message: ""},
		{name: "deadline", method: "fail", args: []any{"deadline"}, class: "builtins.TimeoutError", message: "slow: context deadline exceeded"},
		{name: "not exist", method: "fail", args: []any{"notexist"}, class: "builtins.FileNotFoundError",
			message: "open /nonexistent/gyro/dispatch/test: no such file or directory"},
		{name: "permission", method: "fail", args: []any{"perm"}, class: "builtins.PermissionError", message: "open /x: permission denied"},
		{name: "unsupported", method: "fail", args: []any{"unsupported"}, class: "builtins.NotImplementedError", message: "frobnicate: unsupported operation"},
		{name: "plain", method: "fail", args: []any{"plain"}, class: pyval.ClassRuntimeError, message: "plain failure"},
		{name: "nil error", method: "fail", args: []any{"none"}, want: nil},
	})
	if pyval.ErrValue.Attributes != nil {
		t.Errorf("raising a sentinel modified it: %v", pyval.ErrValue.Attributes)
	}
	if ToException(nil) != nil {
		t.Errorf("ToException(nil) != nil")
	}
	if e := ToException(os.ErrDeadlineExceeded); e.Class != "builtins.TimeoutError" {
		t.Errorf("os.ErrDeadlineExceeded -> %s", e.Class)
	}
}

func TestTraceback(t *testing.T) {
	lines := func(t *testing.T, err error) []string {
		e := exc(t, err)
		tb, _ := e.Attributes.Get("_pyroTraceback")
		var out []string
		for _, l := range tb.([]any) {
			s := l.(string)
			if !strings.HasSuffix(s, "\n") {
				t.Errorf("traceback line %q does not end in a newline", s)
			}
			out = append(out, s)
		}
		return out
	}
	for _, detailed := range []bool{false, true} {
		r := NewRegistry(Options{RequireExpose: true, DetailedTraceback: detailed, Logger: discardLogger()})
		if _, err := r.Register(&Svc{}, "svc", false); err != nil {
			t.Fatal(err)
		}
		_, err := call(r, nil, "svc", "fail", []any{"plain"}, nil)
		tb := lines(t, err)
		if last := tb[len(tb)-1]; last != "RuntimeError: plain failure\n" {
			t.Errorf("last line %q", last)
		}
		if !strings.Contains(tb[1], "types_test.go") || !strings.Contains(tb[1], "(*Svc).Fail") {
			t.Errorf("frame line %q does not name the method", tb[1])
		}
		if got := strings.Contains(strings.Join(tb, ""), "Go error chain"); got != detailed {
			t.Errorf("detailed=%v: error chain present=%v", detailed, got)
		}

		_, err = call(r, nil, "svc", "panic", nil, nil)
		all := strings.Join(lines(t, err), "")
		if !strings.Contains(all, "Go stack") || !strings.Contains(all, "(*Svc).Panic") || !strings.HasSuffix(all, "RuntimeError: panic: boom\n") {
			t.Errorf("panic traceback:\n%s", all)
		}

		_, err = call(r, nil, "nope", "x", nil, nil)
		if last := lines(t, err); last[len(last)-1] != "Pyro4.errors.DaemonError: unknown object\n" {
			t.Errorf("daemon error traceback %q", last)
		}
	}
}

// TestConcurrentInvoke calls while registering and unregistering; run with
// -race.
func TestConcurrentInvoke(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if g == 0 {
					id := fmt.Sprint("tmp", i)
					if _, err := r.Register(&Svc{}, id, false); err != nil {
						errs <- err
						return
					}
					if err := r.Unregister(id); err != nil {
						errs <- err
						return
					}
					continue
				}
				got, err := r.Invoke(context.Background(), nil, &serial.Call{Object: "svc", Method: "add", Args: []any{int64(i), int64(1)}})
				if err != nil || got != int64(i+1) {
					errs <- fmt.Errorf("add(%d, 1) = %v, %v", i, got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := r.Registered(); !reflect.DeepEqual(got, []string{"svc"}) {
		t.Errorf("registered %v", got)
	}
}

func TestFromContext(t *testing.T) {
	if _, ok := FromContext(context.Background()); ok {
		t.Error("FromContext found a CallContext in an empty context")
	}
	cc := &CallContext{Seq: 7}
	got, ok := FromContext(NewContext(context.Background(), cc))
	if !ok || got != cc {
		t.Errorf("FromContext = %v, %v", got, ok)
	}
	if _, ok := FromContext(NewContext(context.Background(), nil)); ok {
		t.Error("FromContext reported a nil CallContext")
	}
}

// TestNoneKwargs: Pyro4's daemon calls method(*vargs, **kwargs), so a call
// whose kwargs are None fails with Python's TypeError, except for the
// three special methods, for which Pyro4's proxy sends None.
func TestNoneKwargs(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		method  string
		args    []any
		message string // "" when the call must succeed
	}{
		{"echo", []any{"x"}, "Svc.echo() argument after ** must be a mapping, not NoneType"},
		{"__getattr__", []any{"verbose"}, ""},
		{"__setattr__", []any{"verbose", true}, ""},
		{"<batch>", []any{pyval.Tuple{"echo", pyval.Tuple{"x"}, pyval.NewDict(0)}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			_, err := r.Invoke(context.Background(), &CallContext{}, &serial.Call{Object: "svc", Method: tt.method, Args: tt.args, KwargsNone: true})
			if tt.message == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if e := exc(t, err); e.Class != typeError || e.Message() != tt.message {
				t.Fatalf("raised %s(%q), want %s(%q)", e.Class, e.Message(), typeError, tt.message)
			}
		})
	}
}
