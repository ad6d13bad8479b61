package dispatch

import (
	"math"
	"reflect"
	"slices"
	"unsafe"

	"github.com/gyro-rpc/gyro/internal/argslab"
	"github.com/gyro-rpc/gyro/pyval"
)

// fastKind names a common method signature that is called through a type
// assertion instead of reflect.Value.Call. A call that does not fit
// exactly (argument count or types, keyword arguments) takes the general
// path, which also produces the error messages.
//
// Why not simply assert the method value (reflect.Value.Method(i).
// Interface()) to func(string) string? Such a value is a reflect
// trampoline: every call goes through reflect.callMethod, which looks up
// two frame layouts and allocates (about 165ns). Instead, for pointer
// receivers, the method expression (reflect.Method.Func, a plain
// func(*T, string) string) is called as func(unsafe.Pointer, string)
// string with the receiver's address: *T and unsafe.Pointer are both one
// pointer word, passed identically by Go's calling convention, so the call
// is direct (about 25ns, no allocation). Value receivers of objects
// registered by value keep the reflect method value.
type fastKind uint8

const (
	fastNone      fastKind = iota
	fastStrStr             // func(string) string
	fastStrStrErr          // func(string) (string, error)
	fastAnyAny             // func(any) any
	fastAnyAnyErr          // func(any) (any, error)
	fastIntInt             // func(int, int) int
	fastI64I64             // func(int64, int64) int64
	fastF64F64             // func(float64, float64) float64
	fastVoid               // func()
	fastErr                // func() error
	fastAny                // func() any
	fastStr                // func() string
	fastVarAny             // func(...any) any
	fastVarTuple           // func(...any) pyval.Tuple: Python's def f(*args): return args
	fastVarVoid            // func(...any)
	fastStrVoid            // func(string): the usual oneway
	fastAnyVoid            // func(any)
)

var fastTypes = map[reflect.Type]fastKind{
	reflect.TypeFor[func(string) string]():            fastStrStr,
	reflect.TypeFor[func(string) (string, error)]():   fastStrStrErr,
	reflect.TypeFor[func(any) any]():                  fastAnyAny,
	reflect.TypeFor[func(any) (any, error)]():         fastAnyAnyErr,
	reflect.TypeFor[func(int, int) int]():             fastIntInt,
	reflect.TypeFor[func(int64, int64) int64]():       fastI64I64,
	reflect.TypeFor[func(float64, float64) float64](): fastF64F64,
	reflect.TypeFor[func()]():                         fastVoid,
	reflect.TypeFor[func() error]():                   fastErr,
	reflect.TypeFor[func() any]():                     fastAny,
	reflect.TypeFor[func() string]():                  fastStr,
	reflect.TypeFor[func(...any) any]():               fastVarAny,
	reflect.TypeFor[func(...any) pyval.Tuple]():       fastVarTuple,
	reflect.TypeFor[func(...any)]():                   fastVarVoid,
	reflect.TypeFor[func(string)]():                   fastStrVoid,
	reflect.TypeFor[func(any)]():                      fastAnyVoid,
}

// fastKindOf classifies a method by the type of its method value (the
// method expression type without the receiver).
func fastKindOf(mt reflect.Type) fastKind {
	in := make([]reflect.Type, 0, mt.NumIn()-1)
	for i := 1; i < mt.NumIn(); i++ {
		in = append(in, mt.In(i))
	}
	out := make([]reflect.Type, mt.NumOut())
	for i := range out {
		out[i] = mt.Out(i)
	}
	return fastTypes[reflect.FuncOf(in, out, mt.IsVariadic())]
}

// Method shapes with the receiver as a pointer word.
type (
	exprStrStr    = func(unsafe.Pointer, string) string
	exprStrStrErr = func(unsafe.Pointer, string) (string, error)
	exprAnyAny    = func(unsafe.Pointer, any) any
	exprAnyAnyErr = func(unsafe.Pointer, any) (any, error)
	exprIntInt    = func(unsafe.Pointer, int, int) int
	exprI64I64    = func(unsafe.Pointer, int64, int64) int64
	exprF64F64    = func(unsafe.Pointer, float64, float64) float64
	exprVoid      = func(unsafe.Pointer)
	exprErr       = func(unsafe.Pointer) error
	exprAny       = func(unsafe.Pointer) any
	exprStr       = func(unsafe.Pointer) string
	exprVarAny    = func(unsafe.Pointer, ...any) any
	exprVarTuple  = func(unsafe.Pointer, ...any) pyval.Tuple
	exprVarVoid   = func(unsafe.Pointer, ...any)
	exprStrVoid   = func(unsafe.Pointer, string)
	exprAnyVoid   = func(unsafe.Pointer, any)
)

// methodExpr returns the method expression fn (whose first parameter is a
// pointer type) as the expr* type of kind.
func methodExpr(fn reflect.Value, kind fastKind) any {
	if fn.Type().In(0).Kind() != reflect.Pointer {
		return nil
	}
	fv := fn.Interface()
	// The data word of a func in an interface is the func value itself.
	data := (*[2]unsafe.Pointer)(unsafe.Pointer(&fv))[1]
	p := unsafe.Pointer(&data)
	switch kind {
	case fastStrStr:
		return *(*exprStrStr)(p)
	case fastStrStrErr:
		return *(*exprStrStrErr)(p)
	case fastAnyAny:
		return *(*exprAnyAny)(p)
	case fastAnyAnyErr:
		return *(*exprAnyAnyErr)(p)
	case fastIntInt:
		return *(*exprIntInt)(p)
	case fastI64I64:
		return *(*exprI64I64)(p)
	case fastF64F64:
		return *(*exprF64F64)(p)
	case fastVoid:
		return *(*exprVoid)(p)
	case fastErr:
		return *(*exprErr)(p)
	case fastAny:
		return *(*exprAny)(p)
	case fastStr:
		return *(*exprStr)(p)
	case fastVarAny:
		return *(*exprVarAny)(p)
	case fastVarTuple:
		return *(*exprVarTuple)(p)
	case fastVarVoid:
		return *(*exprVarVoid)(p)
	case fastStrVoid:
		return *(*exprStrVoid)(p)
	case fastAnyVoid:
		return *(*exprAnyVoid)(p)
	}
	return nil
}

// fastCall calls fn (an expr* of kind) on receiver p if args fit kind
// exactly; ok is false otherwise.
func fastCall(kind fastKind, fn any, p unsafe.Pointer, args []any, ab *argBlock) (res any, err error, ok bool) {
	switch kind {
	case fastStrStr, fastStrStrErr:
		if len(args) != 1 {
			return nil, nil, false
		}
		s, isStr := args[0].(string)
		if !isStr {
			return nil, nil, false
		}
		var out string
		if kind == fastStrStr {
			out = fn.(exprStrStr)(p, s)
		} else if out, err = fn.(exprStrStrErr)(p, s); err != nil {
			return nil, err, true
		}
		// An echo returns its argument: hand back the interface value the
		// decoder made instead of boxing the string again.
		if len(out) == len(s) && unsafe.StringData(out) == unsafe.StringData(s) {
			return args[0], nil, true
		}
		return out, nil, true
	case fastStrVoid:
		if len(args) != 1 {
			return nil, nil, false
		}
		s, isStr := args[0].(string)
		if !isStr {
			return nil, nil, false
		}
		fn.(exprStrVoid)(p, s)
		return nil, nil, true
	case fastAnyVoid:
		if len(args) != 1 {
			return nil, nil, false
		}
		fn.(exprAnyVoid)(p, args[0])
		return nil, nil, true
	case fastAnyAny:
		if len(args) != 1 {
			return nil, nil, false
		}
		return fn.(exprAnyAny)(p, args[0]), nil, true
	case fastAnyAnyErr:
		if len(args) != 1 {
			return nil, nil, false
		}
		if res, err = fn.(exprAnyAnyErr)(p, args[0]); err != nil {
			return nil, err, true
		}
		return res, nil, true
	case fastIntInt, fastI64I64:
		if len(args) != 2 {
			return nil, nil, false
		}
		a, ok1 := args[0].(int64)
		b, ok2 := args[1].(int64)
		if !ok1 || !ok2 {
			return nil, nil, false
		}
		if kind == fastI64I64 {
			return fn.(exprI64I64)(p, a, b), nil, true
		}
		if a < math.MinInt || a > math.MaxInt || b < math.MinInt || b > math.MaxInt {
			return nil, nil, false // 32-bit int: the general path reports the overflow
		}
		return int64(fn.(exprIntInt)(p, int(a), int(b))), nil, true
	case fastF64F64:
		if len(args) != 2 {
			return nil, nil, false
		}
		a, ok1 := args[0].(float64)
		b, ok2 := args[1].(float64)
		if !ok1 || !ok2 {
			return nil, nil, false
		}
		return fn.(exprF64F64)(p, a, b), nil, true
	case fastVoid, fastErr, fastAny, fastStr:
		if len(args) != 0 {
			return nil, nil, false
		}
		switch kind {
		case fastVoid:
			fn.(exprVoid)(p)
			return nil, nil, true
		case fastErr:
			if err = fn.(exprErr)(p); err != nil {
				return nil, err, true
			}
			return nil, nil, true
		case fastAny:
			return fn.(exprAny)(p), nil, true
		}
		return fn.(exprStr)(p), nil, true
	case fastVarAny, fastVarTuple, fastVarVoid:
		// A variadic method may keep its slice, and args is the caller's
		// reused array: the method gets a copy, as a Go call f(s...) with
		// a fresh s, and as reflect would make.
		if kind == fastVarTuple {
			return varTuple(fn.(exprVarTuple), p, args, ab), nil, true
		}
		var own []any
		if len(args) > 0 {
			own = ab.clone(args)
		}
		if kind == fastVarAny {
			return fn.(exprVarAny)(p, own...), nil, true
		}
		fn.(exprVarVoid)(p, own...)
		return nil, nil, true
	}
	return nil, nil, false
}

// Python's def f(*args): return args (Pyro4's benchmark echo) returns its
// own arguments. The copy of the arguments the method gets is allocated
// together with the tuple header that boxes them (tupleBox1, tupleBox2),
// so that when the method returns them the result is boxed for free: one
// allocation where the copy and the boxing made two.
type (
	tupleBox1 struct {
		t pyval.Tuple
		a [1]any
	}
	tupleBox2 struct {
		t pyval.Tuple
		a [2]any
	}
)

func varTuple(fn exprVarTuple, p unsafe.Pointer, args []any, ab *argBlock) any {
	var own []any
	var hdr *pyval.Tuple
	switch len(args) {
	case 0:
		return fn(p)
	case 1:
		b := ab.box1()
		b.a[0] = args[0]
		own, hdr = b.a[:], &b.t
	case 2:
		b := &tupleBox2{a: [2]any{args[0], args[1]}}
		own, hdr = b.a[:], &b.t
	default:
		return fn(p, slices.Clone(args)...)
	}
	res := fn(p, own...)
	if len(res) != len(own) || &res[0] != &own[0] {
		return res
	}
	// The header points into its own box, which the interface value keeps
	// alive: stored as plain words (as serial's boxIn stores a str's), it
	// skips the write barrier that has nothing to do here.
	*(*[3]uintptr)(unsafe.Pointer(hdr)) = [3]uintptr{uintptr(unsafe.Pointer(&own[0])), uintptr(len(own)), uintptr(len(own))}
	v := any(pyval.Tuple(nil)) // a nil slice boxes without allocating
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(hdr)
	return v
}

// argBlock hands out the argument copies variadic methods get (varTuple's
// boxes, the copies of the other variadic kinds) for the calls of one
// batch, from blocks made for the calls still to run: one allocation for
// a batch where each call made one. A method that keeps its args slice
// keeps the block alive, and with it the arguments of the batch's other
// calls, all decoded from the same message (as their strs share blocks,
// serial.strBlock). A nil *argBlock allocates each copy on its own, as a
// single call does.
type argBlock struct {
	boxes []tupleBox1
	nbox  int // boxes handed out
	anys  argslab.Slab
	left  int // calls of the batch not yet run, this one included
	// owned: InvokeOwned's, whose arguments the method may have as they
	// are; taken records that one did.
	owned, taken bool
}

func (ab *argBlock) box1() *tupleBox1 {
	if ab == nil || ab.owned {
		return new(tupleBox1)
	}
	if ab.nbox == len(ab.boxes) {
		ab.boxes, ab.nbox = make([]tupleBox1, max(ab.left, 1)), 0
	}
	// an index, not a reslice: storing the advanced slice would take the
	// write barrier for every call while the collector marks
	b := &ab.boxes[ab.nbox]
	ab.nbox++
	return b
}

func (ab *argBlock) clone(args []any) []any {
	if len(args) == 0 {
		return nil
	}
	if ab != nil && ab.owned {
		ab.taken = true
		return args
	}
	if ab == nil {
		return slices.Clone(args)
	}
	return append(ab.anys.Take(len(args), max(ab.left, 1)*len(args)), args...)
}
