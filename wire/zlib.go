package wire

import (
	"bytes"
	"compress/zlib"
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

type inflater struct {
	src bytes.Reader
	zr  io.ReadCloser // also a zlib.Resetter
}

var inflaters sync.Pool

// inflate decompresses a zlib payload into a new slice of at most limit
// bytes (0 = unlimited). Like Python's zlib.decompress it ignores bytes
// after the end of the stream.
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
		return nil, fmt.Errorf("%w: %v", ErrDecompress, err)
	}
	out, err := readInflated(f.zr, len(src), limit)
	f.src.Reset(nil)
	inflaters.Put(f)
	return out, err
}

func readInflated(r io.Reader, srcLen, limit int) ([]byte, error) {
	size := 4 * srcLen
	if limit > 0 && size > limit+1 {
		size = limit + 1
	}
	out := make([]byte, 0, max(size, 512))
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if limit > 0 && len(out) > limit {
			return nil, tooLarge(len(out), limit)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrDecompress, err)
		}
	}
}
