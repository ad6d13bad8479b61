package serial

import "unsafe"

// strHdr is the size of a string header, which a boxed str's block starts
// with.
const strHdr = int(unsafe.Sizeof(""))

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
	blk := make([]byte, strHdr+len(b))
	copy(blk[strHdr:], b)
	return boxIn(blk)
}

// boxIn makes blk, whose bytes after a string header's size are a str's,
// the block an interface value boxes that str in.
func boxIn(blk []byte) any {
	// The header is stored as plain words: storing a string would take
	// the write barrier while the collector marks, and it has nothing to
	// do here, as the block is noscan memory and the data pointer points
	// into the block itself, which the interface value keeps alive.
	*(*[2]uintptr)(unsafe.Pointer(&blk[0])) = [2]uintptr{uintptr(unsafe.Pointer(&blk[strHdr])), uintptr(len(blk) - strHdr)}
	v := any("")
	(*[2]unsafe.Pointer)(unsafe.Pointer(&v))[1] = unsafe.Pointer(&blk[0])
	return v
}

// strBlock boxes the small strs of one message out of shared blocks, so a
// message with many of them (a <batch> of calls, a list of names)
// allocates a few times where boxString allocates once per str. A str a
// program keeps keeps its block alive: the block holds only strs of the
// same message, and is no bigger than what of the message was still to
// decode when it was made (at most strBlockMax), so a kept str pins at
// most about its own message. A decoder drops its block when it is done
// with a message.
type strBlock struct {
	// blk is the current block and off how much of it is handed out: an
	// offset, not a resliced blk, as storing the advanced slice would take
	// the write barrier for every str while the collector marks.
	blk []byte
	off int
}

const (
	// strBlockedMax is the longest str that goes into a shared block;
	// longer ones gain nothing from sharing and are boxed on their own.
	strBlockedMax = 256
	// strBlockMax bounds a block's size.
	strBlockMax = 16 << 10
	// strBlockMinRest is the least input left after a str for its block
	// to be made bigger than the str: with less, hardly another str can
	// follow.
	strBlockMinRest = 64
)

// box returns string(b) as an interface value, as boxString does, carving
// it from the current block. rest is how many bytes of the message follow
// b's encoding: decoded strs are never longer than their encoding, so it
// bounds what the rest of the message can need.
func (a *strBlock) box(b []byte, rest int) any {
	if len(b) == 0 {
		return ""
	}
	if len(b) > strBlockedMax {
		return boxString(b)
	}
	need := (strHdr + len(b) + 7) &^ 7 // keeps the next header 8-byte aligned
	if len(a.blk)-a.off < need {
		size := need
		if rest >= strBlockMinRest {
			size += min(rest, strBlockMax)
		}
		a.blk, a.off = make([]byte, size), 0
	}
	blk := a.blk[a.off : a.off+strHdr+len(b) : a.off+strHdr+len(b)]
	a.off += need
	copy(blk[strHdr:], b)
	return boxIn(blk)
}

// drop forgets the current block, so the next message starts its own.
func (a *strBlock) drop() { a.blk, a.off = nil, 0 }
