package wire

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Writers and readers are pooled because a zlib writer costs hundreds of
// kilobytes to set up.

// appendWriter is an io.Writer that appends to a slice.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

type compressor struct {
	out appendWriter
	zw  *zlib.Writer
}

var compressors = sync.Pool{New: func() any {
	c := new(compressor)
	c.zw = zlib.NewWriter(&c.out) // default level, header 78 9c like Python's zlib.compress
	return c
}}

// appendCompressed appends the zlib stream of data to dst if it is smaller
// than data, and reports whether it did. Otherwise dst comes back with its
// original length (bytes past it may have been scribbled on).
func appendCompressed(dst, data []byte) ([]byte, bool) {
	c := compressors.Get().(*compressor)
	c.out.b = dst
	c.zw.Reset(&c.out)
	c.zw.Write(data) // cannot fail: appendWriter never does
	c.zw.Close()
	out := c.out.b
	c.out.b = nil // don't keep the caller's buffer alive in the pool
	compressors.Put(c)
	if len(out)-len(dst) >= len(data) {
		return dst, false
	}
	return out, true
}

// DefaultMaxInflatedSize caps an inflated payload when neither
// Options.MaxInflatedSize nor Options.MaxMessageSize sets a limit. Pyro4
// has none: there a 1 MB frame of zeros inflates to a gigabyte. The cap is
// far above what a Pyro call carries; set MaxMessageSize (or
// MaxInflatedSize) to move it, or MaxInflatedSize -1 to inflate without one.
const DefaultMaxInflatedSize = 64 << 20

// ErrInflatedTooLarge: a compressed payload inflates to more than the
// limit (see Options.inflateLimit). Inflating stops at the limit, having
// allocated no more than it. The error also matches ErrTooLarge.
var ErrInflatedTooLarge = errors.New("decompressed payload too large")

type inflateLimitError int

func (e inflateLimitError) Error() string {
	return fmt.Sprintf("%s (more than %d bytes)", ErrInflatedTooLarge.Error(), int(e))
}

func (e inflateLimitError) Unwrap() []error { return []error{ErrInflatedTooLarge, ErrTooLarge} }

// inflateLimit is the most a payload may inflate to: MaxInflatedSize if
// set (negative: no limit), else MaxMessageSize, else
// DefaultMaxInflatedSize.
func (o *Options) inflateLimit() int {
	switch {
	case o.MaxInflatedSize < 0:
		return 0
	case o.MaxInflatedSize > 0:
		return o.MaxInflatedSize
	case o.MaxMessageSize > 0:
		return o.MaxMessageSize
	}
	return DefaultMaxInflatedSize
}

type inflater struct {
	src bytes.Reader
	zr  io.ReadCloser // also a zlib.Resetter
}

var inflaters sync.Pool

// inflate decompresses a zlib payload into a new slice of at most limit
// bytes (0 = unlimited). Like Python's zlib.decompress it ignores bytes
// after the end of the stream. Errors wrap ErrDecompress and the
// compress/zlib or compress/flate error (see ZlibErrorText).
func inflate(src []byte, limit int) ([]byte, error) {
	f, _ := inflaters.Get().(*inflater)
	if f == nil {
		f = new(inflater)
	}
	f.src.Reset(src)
	var err error
	if f.zr == nil {
		f.zr, err = zlib.NewReader(&f.src)
	} else {
		err = f.zr.(zlib.Resetter).Reset(&f.src, nil)
	}
	if err != nil {
		f.zr = nil // a failed NewReader returns no reader
		inflaters.Put(f)
		return nil, fmt.Errorf("%w: %w", ErrDecompress, err)
	}
	out, err := readInflated(f.zr, len(src), limit)
	f.src.Reset(nil)
	inflaters.Put(f)
	return out, err
}

// readInflated reads r to its end. The buffer starts at a guess from the
// compressed size and grows by doubling, but never past limit+1 bytes: one
// byte over the limit is how going over it is seen.
func readInflated(r io.Reader, srcLen, limit int) ([]byte, error) {
	size := max(4*srcLen, 512)
	if limit > 0 {
		size = min(size, limit+1)
	}
	out := make([]byte, 0, size)
	for {
		if len(out) == cap(out) {
			if limit > 0 && len(out) > limit {
				return nil, inflateLimitError(limit)
			}
			n := 2 * cap(out)
			if limit > 0 {
				n = min(n, limit+1)
			}
			out = append(make([]byte, 0, n), out...)
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			if limit > 0 && len(out) > limit {
				return nil, inflateLimitError(limit)
			}
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrDecompress, err)
		}
	}
}

// ZlibErrorText returns the message of the zlib.error Python's
// zlib.decompress raises for the payload src whose inflating failed with
// err (an ErrDecompress error from Parse or ReadMessage), and false for
// any other error. A Pyro4 daemon inflates a call in its serializer and
// replies to a bad one with that exception, class "zlib.error", and keeps
// serving the connection, e.g. "Error -3 while decompressing data:
// incorrect header check". The header, truncation and checksum texts are
// zlib's, and so is "invalid block type" for a first block of type 3 (what
// most garbage after a valid header is); for other corrupt deflate data
// zlib names the fault it found ("invalid stored block lengths", ...),
// which Go's inflater does not report, so the text there is a generic one.
func ZlibErrorText(src []byte, err error) (string, bool) {
	if !errors.Is(err, ErrDecompress) {
		return "", false
	}
	const (
		bad       = "Error -3 while decompressing data: "
		truncated = "Error -5 while decompressing data: incomplete or truncated stream"
	)
	if len(src) < 2 {
		return truncated, true
	}
	cmf, flg := src[0], src[1]
	var corrupt flate.CorruptInputError
	switch {
	case (uint(cmf)<<8|uint(flg))%31 != 0:
		return bad + "incorrect header check", true
	case cmf&0x0f != 8:
		return bad + "unknown compression method", true
	case cmf>>4 > 7:
		return bad + "invalid window size", true
	case flg&0x20 != 0 && len(src) >= 6:
		return "Error 2 while decompressing data", true // needs a preset dictionary
	case errors.Is(err, zlib.ErrChecksum):
		return bad + "incorrect data check", true
	case len(src) > 2 && src[2]>>1&3 == 3: // the first block's BTYPE
		return bad + "invalid block type", true
	case len(src) >= 7 && src[2]>>1&3 == 0 && (src[3]^src[5] != 0xff || src[4]^src[6] != 0xff):
		return bad + "invalid stored block lengths", true // a first stored block's LEN, NLEN
	case errors.As(err, &corrupt):
		return bad + "invalid compressed data", true
	}
	return truncated, true // io.ErrUnexpectedEOF, and a header cut short
}
