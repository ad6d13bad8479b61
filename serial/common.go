package serial

import (
	"math/big"

	"github.com/gyro-rpc/gyro/pyval"
)

// Helpers shared by the codecs: the decoders' scratch stacks, the checks
// that turn decoded call parts into a Call, the encoders' normalizeValue,
// and the rebuilding of class dicts after a json or marshal decode.

// popElems moves (*stack)[base:] off the scratch stack: appended to dst[:0]
// when into is set, which is how a Call's Args array is reused from call to
// call, or else into a new slice of exactly that size.
func popElems(stack *[]any, base int, dst []any, into bool) []any {
	its := (*stack)[base:]
	var out []any
	if into {
		out = append(dst[:0], its...)
	} else {
		out = make([]any, len(its))
		copy(out, its)
	}
	clear(its)
	*stack = (*stack)[:base]
	return out
}

// popDict turns (*items)[base:] into a dict of exactly that size and
// truncates the scratch stack back to base.
func popDict(items *[]pyval.Item, base int) *pyval.Dict {
	its := (*items)[base:]
	out := pyval.NewDict(len(its))
	for _, it := range its {
		out.Append(it.Key, it.Value)
	}
	clear(its)
	*items = (*items)[:base]
	return out
}

// normalizeValue turns a value outside the model's basic types into one
// inside it: the Replacer first (so a registered object becomes a proxy),
// then ClassDict() for class-dict values, then pyval.FromGo. Containers
// that FromGo returns still hold raw Go values; the encoders pass each of
// those through here as they meet it.
func normalizeValue(v any, r Replacer) (any, error) {
	if r != nil {
		if nv, ok := r(v); ok {
			v = nv
		}
	}
	// FromGo may need more than one step (a Valuer returning a struct).
	for range 8 {
		switch x := v.(type) {
		case nil, bool, int64, float64, string, []byte, complex128, *big.Int,
			pyval.Tuple, []any, pyval.Set, *pyval.Dict:
			return v, nil
		case pyval.ClassDicter:
			if isNilPointer(x) {
				return nil, nil
			}
			return x.ClassDict(), nil
		}
		nv, err := pyval.FromGo(v)
		if err != nil {
			return nil, err
		}
		v = nv
	}
	return nil, pyval.Errorf(pyval.ClassSerializeError, "don't know how to serialize %T", v)
}

// fillCall checks the four parts of a decoded call and stores them in c,
// raising for bad parts what the Pyro4 daemon raises when it uses them: an
// object id that is not a str is an unknown object, a method name that is
// not a str fails the daemon's private-name check, and vargs and kwargs
// must be usable as *vargs and **kwargs. A None kwargs is kept as nil;
// kwargs are not checked for __getattr__, __setattr__ and <batch>, which
// ignore them.
func fillCall(c *Call, p *callParts) error {
	if !p.object.isStr {
		if !pyval.Hashable(p.object.other) {
			return pyval.NewException(pyval.ClassTypeError, "unhashable type: '"+pyval.TypeName(p.object.other)+"'")
		}
		return pyval.NewException(pyval.ClassDaemonError, "unknown object")
	}
	if !p.method.isStr {
		return pyval.NewException(pyval.ClassAttributeError, "'"+pyval.TypeName(p.method.other)+"' object has no attribute 'startswith'")
	}
	obj, m, vargs, kwargs := p.object.s, p.method.s, p.vargs, p.kwargs
	args := p.args
	if !p.argsSet {
		var ok bool
		if args, ok = pyval.Iterate(vargs); !ok {
			return pyval.NewException(pyval.ClassTypeError, "argument after * must be an iterable, not "+pyval.TypeName(vargs))
		}
	}
	var kw *pyval.Dict
	switch x := kwargs.(type) {
	case emptyKwargs:
	case nil:
	case *pyval.Dict:
		if x.Len() > 0 {
			kw = x
		}
		if !kwargsMayBeNone(m) {
			for _, it := range x.Items() {
				if _, ok := it.Key.(string); !ok {
					return pyval.NewException(pyval.ClassTypeError, "keywords must be strings")
				}
			}
		}
	default:
		if !kwargsMayBeNone(m) {
			return pyval.NewException(pyval.ClassTypeError, "argument after ** must be a mapping, not "+pyval.TypeName(kwargs))
		}
	}
	*c = Call{Object: obj, Method: m, Args: args, Kwargs: kw, KwargsNone: kwargs == nil}
	return nil
}

// modelRecreate rebuilds the class dicts in a freshly decoded value the
// way Pyro4's recreate_classes does: top down, through lists, tuples and
// plain dicts, handing a dict with "__class__" to pyval.FromClassDict
// without touching its contents first (only an _ExceptionWrapper's
// exception is rebuilt, as Pyro4 does). Lists and tuples are updated in
// place; dicts are copied. gen5 says the class dicts carry Pyro5's names
// (FromPyro5ClassDict first).
func modelRecreate(v any, gen5 bool) (any, error) {
	switch x := v.(type) {
	case []any:
		return x, recreateElems(x, gen5)
	case pyval.Tuple:
		return x, recreateElems(x, gen5)
	case *pyval.Dict:
		if cv, ok := x.Get("__class__"); ok {
			return rebuildClassDict(x, cv, gen5)
		}
		items := x.Items()
		i := 0
		for i < len(items) && !isContainer(items[i].Value) {
			i++
		}
		if i == len(items) {
			return x, nil
		}
		out := pyval.NewDict(len(items))
		for _, it := range items {
			val := it.Value
			if isContainer(val) {
				var err error
				if val, err = modelRecreate(val, gen5); err != nil {
					return nil, err
				}
			}
			out.Append(it.Key, val)
		}
		return out, nil
	}
	return v, nil
}

func recreateElems(l []any, gen5 bool) error {
	for i, e := range l {
		if isContainer(e) {
			r, err := modelRecreate(e, gen5)
			if err != nil {
				return err
			}
			l[i] = r
		}
	}
	return nil
}

// isContainer reports the values modelRecreate looks into (sets hold only
// hashable values, so never a dict).
func isContainer(v any) bool {
	switch v.(type) {
	case []any, pyval.Tuple, *pyval.Dict:
		return true
	}
	return false
}

func rebuildClassDict(d *pyval.Dict, class any, gen5 bool) (any, error) {
	if b, ok := class.([]byte); ok {
		// Pyro4 decodes a bytes class name (marshal can carry one).
		d = replaceItem(d, "__class__", string(b))
		class = string(b)
	}
	if gen5 {
		var err error
		if d, err = FromPyro5ClassDict(d); err != nil {
			return nil, err
		}
		class, _ = d.Get("__class__")
	}
	if class == "Pyro4.futures._ExceptionWrapper" {
		if ev, ok := d.Get("exception"); ok {
			if ed, ok := ev.(*pyval.Dict); ok {
				if cv, ok := ed.Get("__class__"); ok {
					ex, err := rebuildClassDict(ed, cv, gen5)
					if err != nil {
						return nil, err
					}
					d = replaceItem(d, "exception", ex)
				}
			}
		}
	}
	return pyval.FromClassDict(d, false)
}

// replaceItem returns a copy of d with key's value replaced.
func replaceItem(d *pyval.Dict, key string, v any) *pyval.Dict {
	out := pyval.NewDict(d.Len())
	for _, it := range d.Items() {
		if k, ok := it.Key.(string); ok && k == key {
			out.Append(it.Key, v)
		} else {
			out.Append(it.Key, it.Value)
		}
	}
	return out
}
