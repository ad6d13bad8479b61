package wire

import (
	"bytes"
	"slices"
	"testing"
)

func sortedNames(files map[string][]byte) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// TestDecoderByteByByte feeds every golden frame (the signed ones through a
// decoder with the key) one byte at a time and checks that each message
// appears exactly when its last byte arrives, and that earlier messages stay
// intact while later bytes are fed.
func TestDecoderByteByByte(t *testing.T) {
	files := goldenFiles(t)
	for _, signed := range []bool{false, true} {
		opts := &Options{}
		if signed {
			opts.HMACKey = secret
		}
		var stream []byte
		var ends []int
		var want []Message
		for _, name := range sortedNames(files) {
			if goldenCases[name].hmac != signed {
				continue
			}
			stream = append(stream, files[name]...)
			ends = append(ends, len(stream))
			m, _, err := Parse(bytes.Clone(files[name]), opts)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, m)
		}
		d := NewDecoder(opts)
		var got []*Message
		for i := range stream {
			d.Feed(stream[i : i+1])
			m, err := d.Next()
			if err != nil {
				t.Fatalf("byte %d: %v", i, err)
			}
			if m == nil {
				continue
			}
			if len(got) == len(ends) || ends[len(got)] != i+1 {
				t.Fatalf("message %d complete at byte %d, want at %v", len(got), i+1, ends)
			}
			got = append(got, m)
			if m2, err := d.Next(); m2 != nil || err != nil {
				t.Fatalf("second Next after byte %d = %v, %v", i, m2, err)
			}
		}
		if len(got) != len(want) || d.Buffered() != 0 {
			t.Fatalf("got %d messages, %d bytes left; want %d and 0", len(got), d.Buffered(), len(want))
		}
		for i := range want {
			if !sameMessage(got[i], &want[i]) || got[i].Flags != want[i].Flags {
				t.Errorf("message %d = %+v, want %+v", i, got[i], want[i])
			}
		}
	}
}

func TestDecoderChunks(t *testing.T) {
	// Several frames per Feed and frames split across Feeds.
	a, b := golden(t, "serpent_invoke"), golden(t, "json_result_exception")
	stream := slices.Concat(a, b, a, b, a)
	for _, step := range []int{7, 50, 200, len(stream)} {
		d := NewDecoder(nil)
		var got []*Message
		for i := 0; i < len(stream); i += step {
			d.Feed(stream[i:min(i+step, len(stream))])
			for {
				m, err := d.Next()
				if err != nil {
					t.Fatal(err)
				}
				if m == nil {
					break
				}
				got = append(got, m)
			}
		}
		if len(got) != 5 || d.Buffered() != 0 {
			t.Fatalf("step %d: %d messages, %d left", step, len(got), d.Buffered())
		}
		for i, m := range got {
			if want := []MsgType{MsgInvoke, MsgResult}[i%2]; m.Type != want {
				t.Errorf("step %d: message %d is %v, want %v", step, i, m.Type, want)
			}
		}
		if string(got[0].Data) != string(got[4].Data) || !bytes.HasSuffix(got[0].Data, []byte("('hi',),{})")) {
			t.Errorf("step %d: early message corrupted by later feeds: %q", step, got[0].Data)
		}
	}
}

func TestDecoderBodyErrorKeepsHeader(t *testing.T) {
	d := NewDecoder(&Options{HMACKey: secret})
	d.Feed(golden(t, "serpent_connect"))
	m, err := d.Next()
	if err != ErrHMACAsymmetric || m == nil || m.Type != MsgConnect || m.SerializerID != 1 {
		t.Fatalf("Next = %+v, %v; want the CONNECT header and ErrHMACAsymmetric", m, err)
	}
}

func TestParseInto(t *testing.T) {
	f := golden(t, "serpent_invoke")
	var m Message
	for i := 0; i < 3; i++ {
		n, err := ParseInto(&m, f, nil)
		if err != nil || n != len(f) || len(m.Annotations) != 1 {
			t.Fatalf("ParseInto = %d, %v, %+v", n, err, m)
		}
	}
	// Aliasing, as documented.
	if &m.Data[0] != &f[len(f)-len(m.Data)] {
		t.Error("Data does not alias the input")
	}
	// Reused with a frame without annotations: nothing stale survives.
	p := golden(t, "ping")
	if n, err := ParseInto(&m, p, nil); err != nil || n != len(p) || len(m.Annotations) != 0 || string(m.Data) != "ping" {
		t.Fatalf("ParseInto(ping) = %d, %v, %+v", n, err, m)
	}
	// Need-more leaves m alone.
	if n, err := ParseInto(&m, f[:30], nil); n != 0 || err != nil || m.Type != MsgPing {
		t.Fatalf("ParseInto(partial) = %d, %v, %+v", n, err, m)
	}
	if allocs := testing.AllocsPerRun(100, func() { ParseInto(&m, f, nil) }); allocs != 0 {
		t.Errorf("ParseInto with CORR allocates %v times, want 0", allocs)
	}
}

func TestNoAllocs(t *testing.T) {
	f := golden(t, "ping")
	if allocs := testing.AllocsPerRun(100, func() { Parse(f, nil) }); allocs != 0 {
		t.Errorf("Parse without annotations allocates %v times, want 0", allocs)
	}
	m := Message{Type: MsgInvoke, Seq: 1, SerializerID: 1,
		Data:        []byte(serpentHeader + "('test.echoserver','echo',('hi',),{})"),
		Annotations: []Annotation{{"CORR", corr}}}
	buf := make([]byte, 0, 256)
	if allocs := testing.AllocsPerRun(100, func() { Append(buf[:0], &m, nil) }); allocs != 0 {
		t.Errorf("Append allocates %v times, want 0", allocs)
	}
}
