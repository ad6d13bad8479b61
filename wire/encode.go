package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
)

const corrKey = "CORR"

// Append encodes m as one frame onto dst and returns the extended slice.
//
// Annotations are written in m's order, except that CORR comes first and
// HMAC last, as Pyro4 writes them. With opts.HMACKey set, any HMAC
// annotation in m is ignored and a fresh one is computed over the payload
// as sent, then every other annotation value in ascending key order; without
// a key, an HMAC annotation in m is written as it is.
//
// FlagCompressed in m.Flags is ignored: Append compresses, and sets the
// flag, when opts.Compress is on, the payload has at least 200 bytes and
// zlib makes it smaller. MaxMessageSize applies to the bytes as sent
// (ErrTooLarge). On error dst is returned with its original length.
//
// Without HMAC and compression Append allocates nothing once dst has room.
func Append(dst []byte, m *Message, opts *Options) ([]byte, error) {
	opts = orDefault(opts)
	signing := len(opts.HMACKey) > 0

	annLen := 0
	for _, a := range m.Annotations {
		if signing && a.Key == hmacKey {
			continue
		}
		if err := checkKey(a.Key); err != nil {
			return dst, err
		}
		if len(a.Value) > maxAnnLen {
			return dst, fmt.Errorf("%w: %s value is %d bytes, max %d", ErrAnnotation, a.Key, len(a.Value), maxAnnLen)
		}
		annLen += chunkHeader + len(a.Value)
	}
	if signing {
		annLen += chunkHeader + hmacSize
	}
	if annLen > maxAnnLen {
		return dst, fmt.Errorf("%w: annotations take %d bytes, max %d", ErrAnnotation, annLen, maxAnnLen)
	}
	if len(m.Data) > maxDataLen {
		return dst, ErrDataLength
	}

	start := len(dst)
	dst = slices.Grow(dst, HeaderSize+annLen+len(m.Data))
	dst = dst[:start+HeaderSize] // the header is filled in last

	// CORR first, HMAC last, the rest in order.
	for _, a := range m.Annotations {
		if a.Key == corrKey {
			dst = appendChunk(dst, a)
		}
	}
	for _, a := range m.Annotations {
		if a.Key != corrKey && a.Key != hmacKey {
			dst = appendChunk(dst, a)
		}
	}
	macAt := -1
	if signing {
		dst = append(dst, hmacKey...)
		dst = binary.BigEndian.AppendUint16(dst, hmacSize)
		macAt = len(dst)
		dst = append(dst, make([]byte, hmacSize)...)
	} else {
		for _, a := range m.Annotations {
			if a.Key == hmacKey {
				dst = appendChunk(dst, a)
			}
		}
	}

	dataAt := len(dst)
	flags := m.Flags &^ FlagCompressed
	compressed := false
	if opts.Compress && len(m.Data) >= compressThreshold {
		dst, compressed = appendCompressed(dst, m.Data)
	}
	if compressed {
		flags |= FlagCompressed
	} else {
		dst = append(dst, m.Data...)
	}
	dataLen := len(dst) - dataAt
	if size := dataLen + annLen; opts.MaxMessageSize > 0 && size > opts.MaxMessageSize {
		return dst[:start], tooLarge(size, opts.MaxMessageSize)
	}

	if signing {
		var sum [hmacSize]byte
		sign(opts.HMACKey, dst[dataAt:], m.Annotations, &sum)
		copy(dst[macAt:], sum[:])
	}
	putHeader(dst[start:], Header{
		Type:         m.Type,
		Flags:        flags,
		Seq:          m.Seq,
		DataLen:      dataLen,
		SerializerID: m.SerializerID,
		AnnLen:       annLen,
	})
	return dst, nil
}

func appendChunk(dst []byte, a Annotation) []byte {
	dst = append(dst, a.Key...)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(a.Value)))
	return append(dst, a.Value...)
}

// checkKey enforces Pyro4's rule for annotation keys: exactly 4 characters,
// which it encodes as ASCII.
func checkKey(k string) error {
	if len(k) != 4 {
		return fmt.Errorf("%w: key %q: annotation key must be of length 4", ErrAnnotation, k)
	}
	for i := 0; i < len(k); i++ {
		if k[i] >= 0x80 {
			return fmt.Errorf("%w: key %q is not ASCII", ErrAnnotation, k)
		}
	}
	return nil
}
