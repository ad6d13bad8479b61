package serial

import "unsafe"

// boxString returns string(b) as an interface value in one allocation
// where Go makes two (the bytes, then the string header the interface
// points to): decoders box every str they decode, and the second
// allocation, with its pointer for the collector to follow, was a fifth of
// a small call's decoding. The header and the bytes share one block
// without pointers: the interface keeps the block alive, and so does the
// string once taken out of it (its data points into the block), and Go's
// collector never moves it. The block is allocated 8-byte aligned, as a
// string header needs.
func boxString(b []byte) any {
	if len(b) == 0 {
		return ""
	}
	const hdr = unsafe.Sizeof("")
	blk := make([]byte, int(hdr)+len(b))
	copy(blk[hdr:], b)
	*(*string)(unsafe.Pointer(&blk[0])) = unsafe.String(&blk[hdr], len(b))
	v := any("")
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(&blk[0])
	return v
}
