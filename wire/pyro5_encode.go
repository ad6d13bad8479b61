package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
)

// Append5 encodes m as one protocol 502 frame onto dst and returns the
// extended slice. Annotations are written in m's order.
//
// Flag5Compressed in m.Flags is ignored: Append5 compresses, and sets the
// flag, when opts.Compress is on, the payload is longer than 100 bytes (as
// in Pyro5) and zlib makes it smaller (Pyro5 compresses regardless; both
// are valid for a Pyro5 receiver). MaxMessageSize applies to the bytes as
// sent (ErrTooLarge). Options.HMACKey must be empty (ErrNoHMAC5). On error
// dst is returned with its original length.
//
// Without compression Append5 allocates nothing once dst has room.
func Append5(dst []byte, m *Message5, opts *Options) ([]byte, error) {
	opts = orDefault(opts)
	if len(opts.HMACKey) > 0 {
		return dst, ErrNoHMAC5
	}
	if m.Type > 0xff {
		return dst, fmt.Errorf("%w: message type %d does not fit protocol 502's one byte", ErrInvalidHeader, m.Type)
	}
	annLen := 0
	for _, a := range m.Annotations {
		if err := checkKey(a.Key); err != nil {
			return dst, err
		}
		annLen += chunkHeader5 + len(a.Value)
	}
	if uint64(annLen) > maxLen5 {
		return dst, fmt.Errorf("%w: annotations take %d bytes, max %d", ErrAnnotation, annLen, uint64(maxLen5))
	}
	if uint64(len(m.Data)) > maxLen5 {
		return dst, ErrDataLength
	}

	start := len(dst)
	dst = slices.Grow(dst, HeaderSize5+annLen+len(m.Data))
	dst = dst[:start+HeaderSize5] // the header is filled in last
	for _, a := range m.Annotations {
		dst = append(dst, a.Key...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(a.Value)))
		dst = append(dst, a.Value...)
	}

	dataAt := len(dst)
	flags := m.Flags &^ Flag5Compressed
	compressed := false
	if opts.Compress && len(m.Data) > compressThreshold5 {
		dst, compressed = appendCompressed(dst, m.Data)
	}
	if compressed {
		flags |= Flag5Compressed
	} else {
		dst = append(dst, m.Data...)
	}
	dataLen := len(dst) - dataAt
	if size := dataLen + annLen; opts.MaxMessageSize > 0 && size > opts.MaxMessageSize {
		return dst[:start], tooLarge(size, opts.MaxMessageSize)
	}
	putHeader5(dst[start:], Header5{
		Type:         m.Type,
		SerializerID: m.SerializerID,
		Flags:        flags,
		Seq:          m.Seq,
		DataLen:      dataLen,
		AnnLen:       annLen,
		CorrID:       m.CorrID,
	})
	return dst, nil
}
