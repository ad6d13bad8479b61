package dispatch

import (
	"errors"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestIsPrivate(t *testing.T) {
	tests := []struct {
		name    string
		private bool
	}{
		{"echo", false},
		{"Echo", false},
		{"__dunder__", false},
		{"__len__", false},
		{"__x__", false},
		{"____", true}, // a dunder must be longer than 4
		{"___", true},
		{"_private", true},
		{"__private", true},
		{"_EchoServer__private", true},
		{"__init__", true},
		{"__getattr__", true},
		{"__setattr__", true},
		{"__class__", true},
		{"__str__", true},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsPrivate(tt.name); got != tt.private {
			t.Errorf("IsPrivate(%q) = %v, want %v", tt.name, got, tt.private)
		}
	}
	if len(neverRemote) != 45 {
		t.Errorf("never-remote dunders: %d, want the 45 of Pyro4", len(neverRemote))
	}
	for n := range neverRemote {
		if !IsPrivate(n) {
			t.Errorf("IsPrivate(%q) = false for a never-remote dunder", n)
		}
	}
}

// Types for promotion detection.
type promBase struct{ a int }

func (promBase) Val() int    { return 1 }
func (*promBase) Ptr() int   { return 2 }
func (promBase) Shadow() int { return 3 }

type promDerived struct {
	promBase
	b int
}

func (promDerived) Own() int     { return 4 }
func (*promDerived) PtrOwn() int { return 5 }
func (promDerived) Shadow() int  { return 6 } // declared: shadows the embedded one

type promPtr struct {
	*promBase
	io.Reader // interface embedding: Read is promoted too
}

func (*promPtr) Mine() int { return 7 }

type promGeneric[T any] struct {
	promBase
	v T
}

func (promGeneric[T]) GenOwn() int { return 8 }

type namedMap map[string]int

func (namedMap) Get() int { return 9 }

func TestIsPromoted(t *testing.T) {
	tests := []struct {
		typ      reflect.Type
		method   string
		promoted bool
	}{
		{reflect.TypeFor[*promDerived](), "Own", false},
		{reflect.TypeFor[*promDerived](), "PtrOwn", false},
		{reflect.TypeFor[*promDerived](), "Shadow", false},
		{reflect.TypeFor[*promDerived](), "Val", true},
		{reflect.TypeFor[*promDerived](), "Ptr", true},
		{reflect.TypeFor[promDerived](), "Own", false},
		{reflect.TypeFor[promDerived](), "Val", true},
		{reflect.TypeFor[*promPtr](), "Mine", false},
		{reflect.TypeFor[*promPtr](), "Val", true},
		{reflect.TypeFor[*promPtr](), "Ptr", true},
		{reflect.TypeFor[*promPtr](), "Read", true},
		{reflect.TypeFor[*promGeneric[int]](), "GenOwn", false},
		{reflect.TypeFor[*promGeneric[int]](), "Val", true},
		{reflect.TypeFor[namedMap](), "Get", false},
		{reflect.TypeFor[*promBase](), "Val", false},
		{reflect.TypeFor[*promBase](), "Ptr", false},
	}
	for _, tt := range tests {
		if got := isPromoted(tt.typ, tt.method); got != tt.promoted {
			t.Errorf("isPromoted(%s, %s) = %v, want %v", tt.typ, tt.method, got, tt.promoted)
		}
	}
}

// promExposed promotes one embedded method explicitly.
type promExposed struct{ promDerived }

func (*promExposed) PyroExpose() Exposure {
	return Exposure{Promote: []string{"Val"}, Only: []string{"Own"}}
}

func TestMetadataExposure(t *testing.T) {
	tests := []struct {
		name          string
		obj           any
		requireExpose bool
		want          Metadata
	}{
		{"svc all public", &Svc{}, false, Metadata{
			Methods: []string{"__dunder__", "add", "bytes", "ctx", "echo", "fail", "greet", "int8", "nothing",
				"oneway_echo", "opts", "pair", "panic", "point", "strs", "sum", "unlisted"},
			Oneway: []string{"oneway_echo"},
			Attrs:  []string{"hits", "verbose"},
		}},
		{"svc only", &Svc{}, true, Metadata{
			Methods: []string{"__dunder__", "add", "bytes", "ctx", "echo", "fail", "greet", "int8", "nothing",
				"oneway_echo", "opts", "pair", "panic", "point", "strs", "sum"},
			Oneway: []string{"oneway_echo"},
			Attrs:  []string{"hits", "verbose"},
		}},
		{"promoted hidden", &promDerived{}, false, Metadata{
			Methods: []string{"own", "ptr_own", "shadow"}, Oneway: []string{}, Attrs: []string{}}},
		{"promoted hidden, by value", promDerived{}, false, Metadata{
			Methods: []string{"own", "shadow"}, Oneway: []string{}, Attrs: []string{}}},
		{"no exposer with require", &promDerived{}, true, Metadata{
			Methods: []string{}, Oneway: []string{}, Attrs: []string{}}},
		{"promote", &promExposed{}, false, Metadata{
			Methods: []string{"val"}, Oneway: []string{}, Attrs: []string{}}},
		{"promote and only", &promExposed{}, true, Metadata{
			Methods: []string{"own", "val"}, Oneway: []string{}, Attrs: []string{}}},
		{"interface embedding", &promPtr{}, false, Metadata{
			Methods: []string{"mine"}, Oneway: []string{}, Attrs: []string{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRegistry(Options{RequireExpose: tt.requireExpose, Logger: discardLogger()})
			id, err := r.Register(tt.obj, "x", false)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.Metadata(id)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("metadata:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// Types with invalid exposures.
type badUnknown struct{ a int }

func (*badUnknown) PyroExpose() Exposure { return Exposure{Only: []string{"Nope"}} }

type badPrivate struct{ a int }

func (*badPrivate) PyroExpose() Exposure {
	return Exposure{Names: map[string]string{"Init": "__init__"}}
}
func (*badPrivate) Init() {}

type badUnderscore struct{ a int }

func (*badUnderscore) PyroExpose() Exposure {
	return Exposure{Names: map[string]string{"Hidden": "_hidden"}}
}
func (*badUnderscore) Hidden() {}

type badDup struct{ a int }

func (*badDup) PyroExpose() Exposure {
	return Exposure{Names: map[string]string{"A": "same", "B": "same"}}
}
func (*badDup) A() {}
func (*badDup) B() {}

type badGetter struct{ a int }

func (*badGetter) PyroExpose() Exposure {
	return Exposure{Attrs: map[string]Attr{"x": {Get: "X"}}}
}
func (*badGetter) X(int) int { return 0 }

type badAttrClash struct{ a int }

func (*badAttrClash) PyroExpose() Exposure {
	return Exposure{Attrs: map[string]Attr{"size": {Get: "GetSize"}}}
}
func (*badAttrClash) GetSize() int { return 0 }
func (*badAttrClash) Size() int    { return 0 }

type badParams struct{ a int }

func (*badParams) PyroExpose() Exposure {
	return Exposure{Params: map[string][]string{"F": {"a"}}}
}
func (*badParams) F(a, b int) {}

type badParamOrder struct{ a int }

func (*badParamOrder) PyroExpose() Exposure {
	return Exposure{Params: map[string][]string{"F": {"a=", "b"}}}
}
func (*badParamOrder) F(a, b int) {}

type badSignature struct{ a int }

func (*badSignature) PyroExpose() Exposure { return Exposure{Only: []string{"F"}} }
func (*badSignature) F(func())             {}

type skipSignature struct{ a int }

func (*skipSignature) F(chan int) {}
func (*skipSignature) G() int     { return 1 }

type ptrMethodByValue struct{ a int }

func (ptrMethodByValue) PyroExpose() Exposure { return Exposure{Only: []string{"P"}} }
func (*ptrMethodByValue) P()                  {}

// onewayNotOnly marks a method oneway but forgets it in Only: with
// REQUIRE_EXPOSE that used to drop the method silently.
type onewayNotOnly struct{ a int }

func (*onewayNotOnly) PyroExpose() Exposure {
	return Exposure{Only: []string{"F"}, Oneway: []string{"G"}}
}
func (*onewayNotOnly) F() {}
func (*onewayNotOnly) G() {}

type onewayHidden struct{ a int }

func (*onewayHidden) PyroExpose() Exposure {
	return Exposure{Oneway: []string{"G"}, Hide: []string{"G"}}
}
func (*onewayHidden) G() {}

func TestExposureErrors(t *testing.T) {
	tests := []struct {
		obj  any
		want string
		only bool // an error only when Only matters (REQUIRE_EXPOSE)
	}{
		{&badUnknown{}, `Exposure.Only names "Nope", which is not a method`, false},
		{&badPrivate{}, `cannot expose private name "__init__"`, false},
		{&badUnderscore{}, `cannot expose private name "_hidden"`, false},
		{&badDup{}, `share the remote name "same"`, false},
		{&badGetter{}, `getter X of "x" must take no arguments`, false},
		{&badAttrClash{}, `attribute "size" has the name of a method`, false},
		{&badParams{}, `1 names for 2 parameters`, false},
		{&badParamOrder{}, `required parameter "b" follows an optional one`, false},
		{&badSignature{}, `cannot receive a Python value`, true},
		{ptrMethodByValue{}, `pointer receiver`, false},
		{&onewayNotOnly{}, `Exposure.Oneway names G, which is not exposed (list it in Exposure.Only)`, true},
		{&onewayHidden{}, `Exposure.Oneway names G, which is hidden`, false},
	}
	for _, tt := range tests {
		for _, require := range []bool{true, false} {
			if tt.only && !require {
				continue
			}
			r := NewRegistry(Options{RequireExpose: require, Logger: discardLogger()})
			_, err := r.Register(tt.obj, "", false)
			if !errors.Is(err, ErrExposure) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("RequireExpose=%v: Register(%T) = %v, want ErrExposure containing %q", require, tt.obj, err, tt.want)
			}
		}
	}
	// Without REQUIRE_EXPOSE an implicitly exposed method that Python
	// cannot call is left out, not an error.
	r := registered(t, &skipSignature{}, "s")
	if md, _ := r.Metadata("s"); !slices.Equal(md.Methods, []string{"g"}) {
		t.Errorf("methods %v, want [g]", md.Methods)
	}
}

func TestIsOneway(t *testing.T) {
	r := NewRegistry(Options{RequireExpose: true, Logger: discardLogger()})
	if _, err := r.Register(&Svc{}, "svc", false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, method string
		want       bool
	}{{"svc", "oneway_echo", true}, {"svc", "echo", false}, {"svc", "nope", false}, {"nope", "oneway_echo", false}} {
		if got := r.IsOneway(tt.id, tt.method); got != tt.want {
			t.Errorf("IsOneway(%q, %q) = %v", tt.id, tt.method, got)
		}
	}
}
