package serial

import (
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

// TestStrBlock checks that strs boxed from one block read back unchanged
// and independently of each other and of the input they were copied
// from, also after a collection, and that the block is sized as its doc
// says.
func TestStrBlock(t *testing.T) {
	tests := []struct {
		name  string
		strs  []string
		rest  int
		multi bool // several strs share a block
	}{
		{"one str, nothing after", []string{"hello"}, 3, false},
		{"many small strs", []string{"a", "bb", "ccc", "dddddddd", strings.Repeat("e", 64)}, 4096, true},
		{"long str on its own", []string{strings.Repeat("x", strBlockedMax+1), "y"}, 4096, false},
		{"empty", []string{"", "z"}, 4096, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a strBlock
			var vals []any
			in := make([]byte, 0, 512)
			for _, s := range tc.strs {
				in = append(in[:0], s...)
				vals = append(vals, a.box(in, tc.rest))
				clear(in) // the box must not alias its input
			}
			runtime.GC()
			for i, v := range vals {
				got, ok := v.(string)
				if !ok || got != tc.strs[i] {
					t.Fatalf("str %d = %q (%T), want %q", i, v, v, tc.strs[i])
				}
				if uintptr(unsafe.Pointer(unsafe.StringData(got)))%8 != 0 && len(got) > 0 {
					// the header before the bytes is what needs alignment;
					// the bytes follow it directly
					hdr := uintptr(unsafe.Pointer(unsafe.StringData(got))) - unsafe.Sizeof("")
					if hdr%8 != 0 {
						t.Fatalf("str %d: header at %#x is not 8-byte aligned", i, hdr)
					}
				}
			}
			if tc.multi {
				s0, s1 := vals[0].(string), vals[1].(string)
				d := uintptr(unsafe.Pointer(unsafe.StringData(s1))) - uintptr(unsafe.Pointer(unsafe.StringData(s0)))
				if d > 64 {
					t.Errorf("strs of one message are %d bytes apart: not sharing a block", d)
				}
			}
		})
	}
}

// TestStrBlockBounds checks the sizes that bound what a kept str pins.
func TestStrBlockBounds(t *testing.T) {
	var a strBlock
	a.box([]byte("x"), strBlockMinRest-1)
	if spare := len(a.blk) - a.off; spare != 0 {
		t.Errorf("with %d bytes left the block has %d spare bytes, want none", strBlockMinRest-1, spare)
	}
	a.drop()
	a.box([]byte("x"), 1<<30)
	if spare := len(a.blk) - a.off; spare != strBlockMax {
		t.Errorf("spare bytes after a str with 1 GiB left = %d, want strBlockMax (%d)", spare, strBlockMax)
	}
	a.drop()
	if a.blk != nil {
		t.Error("drop kept the block")
	}
}

// TestStrBlockPerMessage checks that the strs of one message share a
// block, and that a decoder done with a message keeps no block for the
// next, so a str kept from one message never pins another's.
func TestStrBlockPerMessage(t *testing.T) {
	codecs := []Codec{Serpent, JSON, Marshal}
	for _, c := range codecs {
		t.Run(c.Name(), func(t *testing.T) {
			data, err := c.Marshal(nil, []any{"first", "second"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			v1, err := c.Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			v2, err := c.Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			a, b := strsOf(t, v1), strsOf(t, v2)
			if len(a) != 2 || len(b) != 2 || a[0] != "first" || b[1] != "second" {
				t.Fatalf("decoded %q and %q", a, b)
			}
			near := func(x, y string) bool {
				d := int64(uintptr(unsafe.Pointer(unsafe.StringData(x)))) - int64(uintptr(unsafe.Pointer(unsafe.StringData(y))))
				return d > -64 && d < 64
			}
			if !near(a[0], a[1]) {
				t.Errorf("%s: the strs of one message do not share a block", c.Name())
			}
		})
	}
}

func TestStrBlockDropped(t *testing.T) {
	p := newSerpentParser([]byte("x"))
	p.strs.box([]byte("x"), 1<<10)
	p.release()
	j := newJSONDecoder([]byte("x"))
	j.strs.box([]byte("x"), 1<<10)
	j.release()
	m := newMarshalDecoder([]byte("x"))
	m.strs.box([]byte("x"), 1<<10)
	m.release()
	for name, a := range map[string]*strBlock{"serpent": &p.strs, "json": &j.strs, "marshal": &m.strs} {
		if a.blk != nil {
			t.Errorf("%s decoder kept its block after release", name)
		}
	}
}

func strsOf(t *testing.T, v any) []string {
	t.Helper()
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	default:
		t.Fatalf("decoded %T, want a list", v)
	}
	var out []string
	for _, it := range items {
		s, ok := it.(string)
		if !ok {
			t.Fatalf("item %T, want str", it)
		}
		out = append(out, s)
	}
	return out
}
