package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"runtime"
	"testing"
)

func zlibOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zeros compresses n zero bytes, streaming, without holding them.
func zeros(t testing.TB, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	chunk := make([]byte, 1<<16)
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
	w.Close()
	return b.Bytes()
}

func TestInflateLimit(t *testing.T) {
	tests := []struct {
		opts Options
		want int
	}{
		{Options{}, DefaultMaxInflatedSize},
		{Options{MaxMessageSize: 5000}, 5000},
		{Options{MaxInflatedSize: 700}, 700},
		{Options{MaxMessageSize: 5000, MaxInflatedSize: 70000}, 70000},
		{Options{MaxMessageSize: 5000, MaxInflatedSize: -1}, 0}, // no limit
	}
	for _, tc := range tests {
		if got := tc.opts.inflateLimit(); got != tc.want {
			t.Errorf("%+v: inflateLimit() = %d, want %d", tc.opts, got, tc.want)
		}
	}
}

func TestInflateAtLimit(t *testing.T) {
	const limit = 10000
	for _, n := range []int{0, 1, limit - 1, limit, limit + 1, 3 * limit} {
		data := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		src := zlibOf(t, data)
		for _, opts := range []*Options{{MaxInflatedSize: limit}, {MaxMessageSize: limit}} {
			out, err := inflate(src, opts.inflateLimit())
			if n > limit {
				if !errors.Is(err, ErrInflatedTooLarge) || !errors.Is(err, ErrTooLarge) || out != nil {
					t.Errorf("%d bytes, %+v: %d bytes, %v; want ErrInflatedTooLarge", n, *opts, len(out), err)
				}
				continue
			}
			if err != nil || !bytes.Equal(out, data) {
				t.Errorf("%d bytes, %+v: %d bytes, %v", n, *opts, len(out), err)
			}
		}
	}
}

// TestInflateBombAllocation: a payload that inflates far past the limit
// costs about the limit in memory, not what it would inflate to.
func TestInflateBombAllocation(t *testing.T) {
	const limit = 1 << 20
	bomb := zeros(t, 64<<20)
	frameBytes := frame(Header{Type: MsgInvoke, Flags: FlagCompressed, DataLen: len(bomb)}, nil, bomb)
	inflate(zlibOf(t, []byte("warm the pool")), 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err := Parse(frameBytes, &Options{MaxMessageSize: limit})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrInflatedTooLarge) {
		t.Fatalf("Parse(bomb) = %v, want ErrInflatedTooLarge", err)
	}
	// No buffer is over limit+1 bytes; doubling up to there allocates
	// under 3*limit in all (the first guess is 4 times the compressed
	// size), plus the inflater's own state when a GC emptied the pool.
	if got := after.TotalAlloc - before.TotalAlloc; got > 3*limit+256<<10 {
		t.Errorf("inflating a 64 MiB bomb under a 1 MiB limit allocated %d bytes", got)
	}
}

// TestZlibErrorText checks the texts against Python 3's zlib.decompress,
// which a Pyro4 4.82 daemon sends back as zlib.error for a COMPRESSED call
// it cannot inflate (and then keeps serving).
func TestZlibErrorText(t *testing.T) {
	good := zlibOf(t, bytes.Repeat([]byte("hello world, "), 30))
	badSum := bytes.Clone(good)
	badSum[len(badSum)-1] ^= 1
	tests := []struct {
		name string
		src  []byte
		want string
	}{
		{"empty", nil, "Error -5 while decompressing data: incomplete or truncated stream"},
		{"garbage", []byte("this is not zlib"), "Error -3 while decompressing data: incorrect header check"},
		{"truncated", good[:len(good)-3], "Error -5 while decompressing data: incomplete or truncated stream"},
		{"header only", good[:2], "Error -5 while decompressing data: incomplete or truncated stream"},
		{"bad checksum", badSum, "Error -3 while decompressing data: incorrect data check"},
		{"unknown method", []byte("\x79\x18\x00\x00\x00"), "Error -3 while decompressing data: unknown compression method"},
		{"window size", []byte("\x88\x98\x00\x00\x00"), "Error -3 while decompressing data: invalid window size"},
		{"preset dictionary", []byte("\x78\xbb\x06\x2c\x02\x15\xcb\x48"), "Error 2 while decompressing data"},
		{"block type 3", []byte("\x78\x9c\x07\x00"), "Error -3 while decompressing data: invalid block type"},
		{"block type 3, more bits", []byte("\x78\x9c\xff\xff"), "Error -3 while decompressing data: invalid block type"},
		{"stored lengths", []byte("\x78\x9c\x01\x05\x00\x00\x00abc"), "Error -3 while decompressing data: invalid stored block lengths"},
		{"fixed block cut", []byte("\x78\x9c\x0b\x00\x00\x00\x00\x01"), "Error -5 while decompressing data: incomplete or truncated stream"},
		// zlib says "too many length or distance symbols"; Go's inflater
		// does not name the fault.
		{"corrupt body", []byte("\x78\x9c\xed\xff\xff\xff"), "Error -3 while decompressing data: invalid compressed data"},
	}
	for _, tc := range tests {
		_, err := inflate(tc.src, 0)
		if !errors.Is(err, ErrDecompress) {
			t.Errorf("%s: inflate error %v, want ErrDecompress", tc.name, err)
			continue
		}
		if got, ok := ZlibErrorText(tc.src, err); !ok || got != tc.want {
			t.Errorf("%s: ZlibErrorText = %q, %v; want %q", tc.name, got, ok, tc.want)
		}
	}
	if _, ok := ZlibErrorText(good, ErrTooLarge); ok {
		t.Error("ZlibErrorText took ErrTooLarge for a zlib error")
	}
}

// FuzzDecompress checks that inflate never panics, never returns more than
// its limit, and agrees with compress/zlib on what it accepts.
func FuzzDecompress(f *testing.F) {
	f.Add(zlibOf(f, []byte("hello, hello, hello")))
	f.Add(zlibOf(f, bytes.Repeat([]byte{0}, 5000)))
	f.Add(zlibOf(f, nil))
	f.Add([]byte("\x78\x9cjunk"))
	f.Add([]byte("\x78\x9c\x07\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, src []byte) {
		const limit = 4096
		out, err := inflate(src, limit)
		if err == nil && len(out) > limit {
			t.Fatalf("inflated %d bytes past the limit %d", len(out), limit)
		}
		if err != nil && !errors.Is(err, ErrDecompress) && !errors.Is(err, ErrInflatedTooLarge) {
			t.Fatalf("error %v is neither ErrDecompress nor ErrInflatedTooLarge", err)
		}
		if errors.Is(err, ErrDecompress) {
			if _, ok := ZlibErrorText(src, err); !ok {
				t.Fatalf("no zlib text for %v", err)
			}
		}
		r, zerr := zlib.NewReader(bytes.NewReader(src))
		var want []byte
		if zerr == nil {
			want, zerr = io.ReadAll(io.LimitReader(r, limit+1))
		}
		switch {
		case zerr != nil:
			if err == nil {
				t.Fatalf("inflate accepted what compress/zlib refuses (%v)", zerr)
			}
		case len(want) > limit:
			if !errors.Is(err, ErrInflatedTooLarge) {
				t.Fatalf("over the limit: %v", err)
			}
		case err != nil || !bytes.Equal(out, want):
			t.Fatalf("inflate = %q, %v; compress/zlib = %q", out, err, want)
		}
	})
}
