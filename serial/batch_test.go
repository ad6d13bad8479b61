package serial

import (
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// batchCodecs are the codecs gyro reads calls in.
var batchCodecs = []Codec{Serpent, JSON, Marshal, Msgpack, Pickle, Serpent5, JSON5, Marshal5, Msgpack5}

// genericBatch is what the dispatcher makes of a batch the generic way
// (dispatch's batchEntry and batchArgs): the batch's calls, or false for
// a batch whose entries it would refuse or whose arguments it would
// convert in another way than plain vargs and kwargs.
func genericBatch(c *Call) (*Batch, bool) {
	if c.Method != MethodBatch {
		return nil, false
	}
	b := &Batch{Object: c.Object}
	for _, raw := range c.Args {
		parts, ok := raw.(pyval.Tuple)
		if !ok {
			l, isList := raw.([]any)
			if !isList {
				return nil, false
			}
			parts = l
		}
		if len(parts) != 3 {
			return nil, false
		}
		name, ok := parts[0].(string)
		if !ok {
			return nil, false
		}
		bc := Call{Method: name}
		switch v := parts[1].(type) {
		case pyval.Tuple:
			bc.Args = v
		case []any:
			bc.Args = v
		default:
			return nil, false
		}
		// written out here rather than calling batchKwargs, the code under
		// test: None is KwargsNone (dispatch raises its TypeError), a dict
		// with str keys is Kwargs ({} as none), anything else only the
		// generic path takes
		switch kw := parts[2].(type) {
		case nil:
			bc.KwargsNone = true
		case *pyval.Dict:
			for _, it := range kw.Items() {
				if _, ok := it.Key.(string); !ok {
					return nil, false
				}
			}
			if kw.Len() > 0 {
				bc.Kwargs = kw
			}
		default:
			return nil, false
		}
		b.Calls = append(b.Calls, bc)
	}
	return b, true
}

// sameBatch compares batches, with nil and empty Args alike.
func sameBatch(a, b *Batch) bool {
	if a.Object != b.Object || len(a.Calls) != len(b.Calls) {
		return false
	}
	for i := range a.Calls {
		x, y := &a.Calls[i], &b.Calls[i]
		if x.Method != y.Method || x.KwargsNone != y.KwargsNone || len(x.Args) != len(y.Args) ||
			x.Object != y.Object || (x.Kwargs == nil) != (y.Kwargs == nil) ||
			x.Kwargs != nil && !sameValue(x.Kwargs, y.Kwargs) || !sameValue([]any(x.Args), []any(y.Args)) {
			return false
		}
	}
	return true
}

// sameValue is reflect.DeepEqual with NaN equal to itself, as a decoded
// float('nan') is the same value both ways, and sets equal in any order
// (pickle's come out of Go maps).
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || x != x && y != y)
	case pyval.Tuple:
		y, ok := b.(pyval.Tuple)
		return ok && sameValue([]any(x), []any(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case pyval.Set:
		y, ok := b.(pyval.Set)
		if !ok || len(x) != len(y) {
			return false
		}
		for _, e := range x {
			if !slices.ContainsFunc(y, func(f any) bool { return sameValue(e, f) }) {
				return false
			}
		}
		return true
	case *pyval.Dict:
		y, ok := b.(*pyval.Dict)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for i, it := range x.Items() {
			if o := y.Items()[i]; !sameValue(it.Key, o.Key) || !sameValue(it.Value, o.Value) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// checkBatch decodes data both ways: a batch UnmarshalBatch takes must
// be the batch the generic path makes of it; one it leaves must leave b
// empty. It returns whether the fast path took data.
func checkBatch(t testing.TB, codec Codec, b *Batch, data []byte) bool {
	t.Helper()
	var c Call
	gerr := codec.UnmarshalCall(data, &c)
	ok := codec.(BatchUnmarshaler).UnmarshalBatch(data, b)
	if !ok {
		if b.Object != "" || len(b.Calls) != 0 {
			t.Fatalf("%s: a refused batch left %+v", codec.Name(), b)
		}
		return false
	}
	if gerr != nil {
		t.Fatalf("%s: fast path took %q, which the generic path refuses: %v", codec.Name(), data, gerr)
	}
	want, wok := genericBatch(&c)
	if !wok {
		t.Fatalf("%s: fast path took %q, whose entries the generic path refuses: %#v", codec.Name(), data, c.Args)
	}
	if !sameBatch(b, want) {
		t.Fatalf("%s: %q decodes to %+v, the generic path to %+v", codec.Name(), data, b, want)
	}
	return true
}

func entry(method string, vargs, kwargs any) pyval.Tuple { return pyval.Tuple{method, vargs, kwargs} }

func TestUnmarshalBatch(t *testing.T) {
	echo := entry("echo", pyval.Tuple{"hello"}, pyval.NewDict(0))
	many := make([]any, 65)
	for i := range many {
		many[i] = entry("echo", pyval.Tuple{int64(i)}, pyval.NewDict(0))
	}
	tests := []struct {
		name     string
		call     Call
		fast     bool
		jsonFast bool // json writes every key as a str
	}{
		{"empty", Call{Object: "o", Method: "<batch>", Args: []any{}, KwargsNone: true}, true, false},
		{"one", Call{Object: "o", Method: "<batch>", Args: []any{echo}, KwargsNone: true}, true, false},
		{"many", Call{Object: "o", Method: "<batch>", Args: many, KwargsNone: true}, true, false},
		{"outer kwargs empty", Call{Object: "o", Method: "<batch>", Args: []any{echo}}, true, false},
		{"kwargs", Call{Object: "o", Method: "<batch>", Args: []any{
			entry("f", pyval.Tuple{int64(1)}, pyval.DictOf("x", int64(2), "y", "z")), echo}, KwargsNone: true}, true, false},
		{"kwargs None", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", pyval.Tuple{}, nil)}, KwargsNone: true}, true, false},
		{"lists", Call{Object: "o", Method: "<batch>", Args: []any{[]any{"f", []any{"a", int64(1)}, pyval.NewDict(0)}}, KwargsNone: true}, true, false},
		{"values", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", pyval.Tuple{nil, true, 1.5, []any{int64(1), "x"},
			pyval.DictOf("k", pyval.Tuple{int64(1)}), strings.Repeat("long ", 40)}, pyval.NewDict(0)), echo}, KwargsNone: true}, true, false},
		{"bytes", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", pyval.Tuple{[]byte("b")}, pyval.NewDict(0))}, KwargsNone: true}, true, false},
		{"not a batch", Call{Object: "o", Method: "echo", Args: []any{echo}, KwargsNone: true}, false, false},
		{"outer kwargs", Call{Object: "o", Method: "<batch>", Args: []any{echo}, Kwargs: pyval.DictOf("x", int64(1))}, false, false},
		{"entry not a sequence", Call{Object: "o", Method: "<batch>", Args: []any{echo, int64(1)}, KwargsNone: true}, false, false},
		{"entry too short", Call{Object: "o", Method: "<batch>", Args: []any{pyval.Tuple{"f", pyval.Tuple{}}}, KwargsNone: true}, false, false},
		{"entry too long", Call{Object: "o", Method: "<batch>", Args: []any{pyval.Tuple{"f", pyval.Tuple{}, pyval.NewDict(0), nil}}, KwargsNone: true}, false, false},
		{"method not a str", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", pyval.Tuple{}, pyval.NewDict(0)), pyval.Tuple{int64(1), pyval.Tuple{}, pyval.NewDict(0)}}, KwargsNone: true}, false, false},
		{"vargs a str", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", "ab", pyval.NewDict(0))}, KwargsNone: true}, false, false},
		{"vargs None", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", nil, pyval.NewDict(0))}, KwargsNone: true}, false, false},
		{"kwargs not a mapping", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", pyval.Tuple{}, int64(3))}, KwargsNone: true}, false, false},
		{"kwargs key not a str", Call{Object: "o", Method: "<batch>", Args: []any{entry("f", pyval.Tuple{}, pyval.DictOf(int64(1), int64(2)))}, KwargsNone: true}, false, true},
	}
	for _, codec := range batchCodecs {
		var b Batch // reused across cases, as a session does
		for _, tc := range tests {
			data, err := codec.MarshalCall(nil, &tc.call, nil)
			if err != nil && tc.name == "bytes" {
				continue // json has none
			}
			if err != nil {
				t.Fatalf("%s %s: %v", codec.Name(), tc.name, err)
			}
			want := tc.fast || tc.jsonFast && codec.Name() == "json"
			if got := checkBatch(t, codec, &b, data); got != want {
				t.Errorf("%s %s: fast path took it: %v, want %v", codec.Name(), tc.name, got, want)
			}
			b.Reset()
		}
	}
}

// TestUnmarshalBatchSerpentText: serpent text in shapes serpent.dumps
// does not write but literal_eval reads.
func TestUnmarshalBatchSerpentText(t *testing.T) {
	tests := []struct {
		text string
		fast bool
	}{
		{`('o', '<batch>', [], None)`, true},
		{`('o','<batch>',(),{})`, true},
		{` ( 'o' , "<batch>" , [ ( 'f' , [ 1 , 2 ] , { } , ) , ] , None , ) `, true},
		{`('o', '<batch>', (('f', (), {}),), None)`, true},
		{`('o', '<batch>', (('f', (), {})), None)`, false},       // a parenthesized entry
		{`('o', '<batch>', [('f', ('a'), {})], None)`, false},    // vargs a parenthesized str
		{`('o', '<batch>', [('f', (1,), {1: 2})], None)`, false}, // a key not a str
		{`('o', '<batch>', [('f' 'g', (1,), {'k': 2})], None)`, true},
		{`('o', '<batch>', [(b'f', (), {})], None)`, false},
		{`('o', '<batch>', [('f', (), {})], None) x`, false},
		{`('o', '<batch>', [('f', (), {})], Nonesuch)`, false},
		{`('o', '<batch>', [('f', (), {})]`, false},
		{`('o', '<batch>', [('f', (1, ), {})], {'a': 1})`, false},
		{`('o', '<batch>', [('f', (1,), {'k': None}), ['g', [[]], {}]], None)`, true},
		// an entry's name is taken from the last entry's when the bytes
		// repeat, and only then
		{`('o', '<batch>', [('f', (), {}), ('f', (), {}), ('f' , (), {}), ('f' 'g', (), {}), ('f', (), {})], None)`, true},
		{`('o', '<batch>', [('f' , (), {}), ('f' , (), {}), ('f' 'g', (), {}), ('f' u'g', (), {}), ('fg', (), {})], None)`, true},
		{`('o', '<batch>', [('f', (), {}), ('f', (), {}), ('f\x67', (), {}), ('f', (), {})], None)`, true},
		{`('o', '<batch>', [('f', (), {}), ('f', (), {}), ('f' b'g', (), {})], None)`, false},
		// entries after the first in serpent.dumps' compact form
		{`('o','<batch>',[('f',(),{}),('f',(),{}),('f',('a',),{}),('f',('a','b'),{}),('f',('a','b',),{}),('f',(1,[2],{'k':3},('x',)),{})],None)`, true},
		{`('o','<batch>',[('f',(),{}),('f',('a\n',),{}),('f',('''a''',),{}),('f',('a' 'b',),{}),('f',(-1,2.5e3,None,True),{})],None)`, true},
		{`('o','<batch>',[('f',(),{}),('f',('a',),{'k':1}),('f',('a',) ,{}),('f',('a',),{},),('f',( 'a',),{}),('f',('a', ),{})],None)`, true},
		{`('o','<batch>',[('f',(),{}),('f',('a'),{})],None)`, false},
		{`('o','<batch>',[('f',(),{}),('f',(1),{})],None)`, false},
		{`('o','<batch>',[('f',(),{}),('f',('a',),{}]],None)`, false},
		{`('o','<batch>',[('f',(),{}),('f',('a',),{}`, false},
		{`('o','<batch>',[('f',(),{}),('f',('a',`, false},
		{`('o','<batch>',[('f',(),{}),('f',(1+,),{})],None)`, false},
		{`('o','<batch>',[('f',(),{}),('f',('a',)`, false},
		{`('o','<batch>',[('f',(),{}),('f',(),{}),('g',('a',),{}),('g',('b',),{})],None)`, true},
	}
	var b Batch
	for _, tc := range tests {
		for _, codec := range []Codec{Serpent, Serpent5} {
			if got := checkBatch(t, codec, &b, []byte(tc.text)); got != tc.fast {
				t.Errorf("%s: fast path took it: %v, want %v", tc.text, got, tc.fast)
			}
			b.Reset()
		}
	}
}

// TestBatchReset: a batch keeps its arrays from batch to batch, and no
// value once reset (method names stay, for the next batch to overwrite).
// The first batch sizes the array of args the next ones are decoded into;
// one that outgrows it, or fails halfway, leaves nothing behind either.
func TestBatchReset(t *testing.T) {
	batch := func(entries ...any) []byte {
		data, _ := Serpent.MarshalCall(nil, &Call{Object: "o", Method: "<batch>", KwargsNone: true, Args: entries}, nil)
		return data
	}
	data := batch(entry("f", pyval.Tuple{"a", "b"}, pyval.DictOf("k", "v")), entry("g", pyval.Tuple{"c"}, nil))
	bigger := batch(entry("f", pyval.Tuple{"a", "b"}, nil), entry("g", pyval.Tuple{"c", "d", "e"}, nil))
	var b Batch
	decode := func(data []byte) {
		t.Helper()
		if !Serpent.(BatchUnmarshaler).UnmarshalBatch(data, &b) {
			t.Fatal("not decoded")
		}
	}
	reset := func() {
		t.Helper()
		b.Reset()
		if slicesHoldValue(b.args[:cap(b.args)]) {
			t.Fatal("the array of args holds values after Reset")
		}
		full := b.Calls[:cap(b.Calls)]
		for i := range full {
			if a := full[i].Args[:cap(full[i].Args)]; full[i].Kwargs != nil || full[i].KwargsNone || slicesHoldValue(a) {
				t.Fatalf("call %d holds values after Reset: %+v", i, full[i])
			}
		}
	}
	decode(data)
	reset()
	decode(data)
	calls, args := &b.Calls[0], &b.Calls[0].Args[0]
	if got := b.Calls[1].Args; len(got) != 1 || got[0] != "c" || cap(got) != 1 {
		t.Errorf("second call's args %v, cap %d: want [c], cap 1", got, cap(got))
	}
	reset()
	decode(data)
	if &b.Calls[0] != calls || &b.Calls[0].Args[0] != args {
		t.Error("the next batch did not reuse the arrays")
	}
	reset()
	decode(bigger) // spills: its second call's args do not fit
	if got := b.Calls[1].Args; len(got) != 3 || got[2] != "e" {
		t.Errorf("spilled args %v, want [c d e]", got)
	}
	reset()
	if cap(b.args) < 5 {
		t.Errorf("after a batch of 5 args the array has room for %d", cap(b.args))
	}
	// msgpack decodes args straight into the array: cut in the last
	// entry's args, after "d", the batch leaves two values past the end
	// of what it had set
	cut, _ := Msgpack.MarshalCall(nil, &Call{Object: "o", Method: "<batch>", KwargsNone: true,
		Args: []any{entry("f", pyval.Tuple{"a", "b"}, nil), entry("g", pyval.Tuple{"c", "d", "e"}, nil)}}, nil)
	if Msgpack.(BatchUnmarshaler).UnmarshalBatch(cut[:len(cut)-3], &b) {
		t.Fatal("a cut batch decoded")
	}
	reset()
}

func slicesHoldValue(a []any) bool {
	for _, v := range a {
		if v != nil {
			return true
		}
	}
	return false
}

// TestUnmarshalBatchJSONText: json call objects in shapes other than the
// one Pyro's serializer writes.
func TestUnmarshalBatchJSONText(t *testing.T) {
	tests := []struct {
		text string
		fast bool
	}{
		{`{"object":"o","method":"<batch>","params":[],"kwargs":null}`, true},
		{` { "params" : [ [ "f" , [ 1 , "a" ] , { } ] , ["g",[],null] ] , "kwargs" : {} , "method" : "<batch>" , "object" : "o" } `, true},
		{`{"object":"o","method":"<batch>","params":[["f",[],{"k":[1]}]],"kwargs":null}`, true},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}]],"kwargs":null,"extra":1}`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}]],"params":[],"kwargs":null}`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}]]}`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[{"__class__":"Pyro4.core.URI","state":["PYRO","x",null,"h",1]}],{}]],"kwargs":null}`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}]],"kwargs":{"a":1}}`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}],],"kwargs":null}`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}]],"kwargs":null} x`, false},
		{`{"object":"o","method":"<batch>","params":[["f",[],{}]],"kwargs":null`, false},
		{`{"object":1,"method":"<batch>","params":[["f",[],{}]],"kwargs":null}`, false},
		{`{"object":"o","method":"<batch>","params":{"a":1},"kwargs":null}`, false},
	}
	var b Batch
	for _, tc := range tests {
		for _, codec := range []Codec{JSON, JSON5} {
			if got := checkBatch(t, codec, &b, []byte(tc.text)); got != tc.fast {
				t.Errorf("%s: fast path took it: %v, want %v", tc.text, got, tc.fast)
			}
			b.Reset()
		}
	}
}

// TestUnmarshalBatchMarshalRefs: CPython's marshal shares objects through
// back-references (interned names, the empty tuple, constant tuples,
// objects a batch holds twice); the fast path follows them or leaves the
// batch to the generic path.
func TestUnmarshalBatchMarshalRefs(t *testing.T) {
	// made by CPython 3's marshal.dumps
	tests := []struct {
		name, hex string
		fast      bool
	}{
		{"pyro4", "a904da016ffa073c62617463683e5b040000002903da046563686fa901da0568656c6c6f7b302903da076e6f7468696e67a9007b302903720300000072040000007b302903720600000072070000007b304e", true},
		{"shared args and kwargs", "a904da016ffa073c62617463683e5b020000002903da046563686fa901da0568656c6c6ffb3029037203000000720400000072060000004e", true},
		{"shared entry", "a904da016ffa073c62617463683e5b02000000a903da046563686fa901da01787b3072030000004e", false},
		{"kwargs refers to entries", "a904da016ffa073c62617463683edb010000002903da046563686fa901da0568656c6c6f7b307bda016b720300000030", false},
	}
	var b Batch
	for _, tc := range tests {
		data, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		for _, codec := range []Codec{Marshal, Marshal5} {
			if got := checkBatch(t, codec, &b, data); got != tc.fast {
				t.Errorf("%s: fast path took it: %v, want %v", tc.name, got, tc.fast)
			}
			b.Reset()
		}
	}
}

// TestUnmarshalBatchPickle: CPython's pickles of batches, in the protocol
// Pyro4 uses (the highest: frames, MEMOIZE) and an older one (BINPUT);
// the machine takes the opcodes of plain data and leaves the rest, and
// every reference back to a list or dict, to gopickle.
func TestUnmarshalBatchPickle(t *testing.T) {
	// made by CPython 3's pickle.dumps
	tests := []struct {
		name, hex string
		fast      bool
	}{
		{"pyro4", "800595fd00000000000000288c016f948c073c62617463683e945d94288c046563686f948c0568656c6c6f9485947d948794680368057d9487948c016694284b014740040000000000004e8889430178945d94284b018c017994654af9ffffff4a701101008c8cc3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a9c3a99474947d948c016b948c017694738794654e74942e", true},
		{"protocol 2", "80022858010000006f710058070000003c62617463683e71015d71022858040000006563686f7103580500000068656c6c6f71048571057d7106877107680368057d710858010000006171095d710a4b01617387710b654e74710c2e", true},
		{"shared list", "8005953300000000000000288c016f948c073c62617463683e945d94288c046563686f945d944b016185947d9487946803680485947d948794654e74942e", false},
		{"big int", "8005952e00000000000000288c016f948c073c62617463683e945d948c046563686f948a0900000000000000004085947d948794614e74942e", false},
		{"int key", "8005952a00000000000000288c016f948c073c62617463683e945d948c046563686f947d944b014b027385947d948794614e74942e", false},
		{"set", "8005952b00000000000000288c016f948c073c62617463683e945d948c046563686f948f94284b014b029085947d948794614e74942e", false},
		// MEMOIZE after a gap in the BINPUT indices stores at the memo's
		// count, not past its highest index: CPython gives ('A', 'B', 'C', 'C')
		{"memo gap", "8004288c016f8c073c62617463683e5d28288c0166288c014171028c0142948c0143946802747d74654e742e", true},
		// a FRAME announcing more bytes than are left is the generic path's error
		{"long frame", "8005950000000000010000288c016f948c073c62617463683e945d948c046563686f944b0185947d948794614e74942e", false},
		// a memo index far past what the pickle could hold (LONG_BINPUT 65535)
		{"memo index", hex.EncodeToString([]byte("\x80\x04(\x8c\x01o\x8c\x07<batch>](\x8c\x04echor\xff\xff\x00\x00K\x01\x85}\x87eNt.")), false},
		// 1,000 nested dicts shared by 2,000 arguments: past the value
		// budget once expanded, which the generic path refuses
		{"shared dicts", hex.EncodeToString([]byte("\x80\x04(\x8c\x01o\x8c\x07<batch>]((\x8c\x01f((" + strings.Repeat("}", 1000) + "tq\x05" + strings.Repeat("h\x05", 1999) + "t}teNt.")), false},
	}
	var b Batch
	for _, tc := range tests {
		data, err := hex.DecodeString(tc.hex)
		if err != nil {
			t.Fatal(err)
		}
		if got := checkBatch(t, Pickle, &b, data); got != tc.fast {
			t.Errorf("%s: fast path took it: %v, want %v", tc.name, got, tc.fast)
		}
		b.Reset()
	}
}
