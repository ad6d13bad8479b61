package serial

import (
	"slices"
	"testing"

	"github.com/gyro-rpc/gyro/pyval"
)

// TestUnmarshalCallReusesArgs checks the contract the daemon's per-call path
// relies on: decoding into a Call reuses the array behind its Args, empty
// kwargs come back nil, and nothing of the previous call is left over.
func TestUnmarshalCallReusesArgs(t *testing.T) {
	first := &Call{Object: "obj", Method: "m", Args: []any{"a", int64(2), 3.5}, Kwargs: pyval.DictOf("k", int64(1))}
	second := &Call{Object: "obj", Method: "m", Args: []any{"b"}, KwargsNone: true}
	none := &Call{Object: "obj", Method: "m", Args: []any{}}
	for _, codec := range []Codec{Serpent, JSON, Marshal} {
		t.Run(codec.Name(), func(t *testing.T) {
			enc := func(c *Call) []byte {
				b, err := codec.MarshalCall(nil, c, nil)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			var c Call
			if err := codec.UnmarshalCall(enc(first), &c); err != nil {
				t.Fatal(err)
			}
			if !jmEqual(&c, first) {
				t.Fatalf("first call: got %#v", c)
			}
			array := &c.Args[:1][0]
			if err := codec.UnmarshalCall(enc(second), &c); err != nil {
				t.Fatal(err)
			}
			if !jmEqual(&c, second) {
				t.Fatalf("second call: got %#v, want %#v", c, *second)
			}
			if &c.Args[0] != array {
				t.Error("second call did not reuse the Args array")
			}
			if err := codec.UnmarshalCall(enc(none), &c); err != nil {
				t.Fatal(err)
			}
			if len(c.Args) != 0 || c.Kwargs != nil || c.KwargsNone {
				t.Errorf("call without arguments: got %#v", c)
			}
		})
	}
}

// TestMarshalBackrefToReusedArgs: marshal data may refer back to the vargs
// list from the kwargs; what the kwargs get must not share the array the
// caller reuses for the next call.
func TestMarshalBackrefToReusedArgs(t *testing.T) {
	// ("o", "m", ["a"] (flagged: ref 0), {"k": <ref 0>} (flagged: ref 1))
	data := []byte(")\x04z\x01oz\x01m\xdb\x01\x00\x00\x00z\x01a\xfbz\x01kr\x00\x00\x00\x000")
	c := Call{Args: make([]any, 0, 4)}
	if err := Marshal.UnmarshalCall(data, &c); err != nil {
		t.Fatal(err)
	}
	v, _ := c.Kwargs.Get("k")
	l, ok := v.([]any)
	if !ok || !slices.Equal(l, []any{"a"}) || !slices.Equal(c.Args, []any{"a"}) {
		t.Fatalf("got args %#v, kwargs %#v", c.Args, c.Kwargs)
	}
	if &l[0] == &c.Args[0] {
		t.Error("the back-reference shares the reused Args array")
	}
}

// checkCallReuse is a fuzz property of every codec: decoding a call into a
// Call that holds a previous call's arguments gives what decoding into a
// zero Call gives. It returns the error of the decode.
func checkCallReuse(t *testing.T, codec Codec, data []byte) error {
	var fresh Call
	err := codec.UnmarshalCall(data, &fresh)
	reused := Call{Object: "stale", Method: "stale", Args: append(make([]any, 0, 8), "stale", int64(1), nil),
		Kwargs: pyval.DictOf("k", "v"), KwargsNone: true}
	err2 := codec.UnmarshalCall(data, &reused)
	switch {
	case (err == nil) != (err2 == nil):
		t.Fatalf("fresh Call: %v; reused Call: %v", err, err2)
	case err != nil && err.Error() != err2.Error():
		t.Fatalf("errors differ: fresh Call: %v; reused Call: %v", err, err2)
	case err == nil && !jmEqual(&fresh, &reused):
		t.Fatalf("decoded differently:\nfresh  %#v\nreused %#v", fresh, reused)
	}
	return err
}
