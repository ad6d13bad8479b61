package serial

import (
	"github.com/gyro-rpc/gyro/pyval"
)

// UnmarshalBatch decodes ('obj', '<batch>', [entries], None) into b, each
// entry ('method', vargs, kwargs) into one of b's calls (see
// BatchUnmarshaler). Every flagged object takes its reference index in
// order, as in the generic decoder; a back-reference to an entry, or to
// the list of entries, finds it still pending and sends the batch to the
// generic path.
func (mc marshalCodec) UnmarshalBatch(data []byte, b *Batch) bool {
	b.Reset()
	d := newMarshalDecoder(data)
	defer d.release()
	n, ok := d.sequenceHeader()
	if !ok || n != 4 {
		return false
	}
	d.depth = 1
	if d.count(1) != nil {
		return false
	}
	object, err := d.callPart("tuple")
	if err != nil || !object.isStr {
		return false
	}
	method, err := d.callPart("tuple")
	if err != nil || !method.isStr || method.s != MethodBatch {
		return false
	}
	if !d.batchEntries(b) {
		return b.fail()
	}
	if d.pos < len(d.data) && d.data[d.pos] == mNone {
		d.pos++
	} else if !d.emptyDict() {
		return b.fail()
	}
	if d.sawClass || d.count(1) != nil {
		return b.fail()
	}
	b.Object = object.s
	return true
}

// sequenceHeader reads the code and size of a tuple or list, reserving
// its reference index if it is flagged.
func (d *marshalDecoder) sequenceHeader() (n int, ok bool) {
	if d.pos >= len(d.data) {
		return 0, false
	}
	code := d.data[d.pos]
	d.pos++
	var err error
	switch code &^ mFlagRef {
	case mSmallTuple:
		n, err = d.byte1()
	case mTuple, mList:
		n, err = d.size("tuple")
	default:
		return 0, false
	}
	if err != nil {
		return 0, false
	}
	d.reserve(code&mFlagRef != 0)
	return n, true
}

// emptyDict reads an empty dict; if it is flagged, a back-reference to it
// gets a dict, made then.
func (d *marshalDecoder) emptyDict() bool {
	if d.pos+1 >= len(d.data) || d.data[d.pos]&^mFlagRef != mDict || d.data[d.pos+1] != mNull {
		return false
	}
	if idx := d.reserve(d.data[d.pos]&mFlagRef != 0); idx >= 0 {
		d.fillLazy(idx, lazyEmptyDict, nil, false)
	}
	d.pos += 2
	return true
}

// batchEntries reads the list or tuple of entries, at depth 2, into b.
func (d *marshalDecoder) batchEntries(b *Batch) bool {
	n, ok := d.sequenceHeader()
	if !ok || d.count(1) != nil {
		return false
	}
	for range n {
		if !d.batchEntry(b) {
			return false
		}
	}
	return true
}

// batchEntry reads one entry, at depth 3, into a new call of b.
func (d *marshalDecoder) batchEntry(b *Batch) bool {
	n, ok := d.sequenceHeader()
	if !ok || n != 3 || d.count(1) != nil {
		return false
	}
	d.depth = 3
	name, err := d.callPart("tuple")
	if err != nil || !name.isStr || d.pos >= len(d.data) {
		return false
	}
	c := b.next()
	c.setMethod(name.s)
	// vargs at depth 4: a tuple or list read into the call's array, or a
	// back-reference to one (CPython shares the empty tuple)
	d.depth = 4
	switch code := d.data[d.pos]; code &^ mFlagRef {
	case mSmallTuple, mTuple, mList:
		d.pos++
		args, _, err := d.containerElems(code&^mFlagRef, code&mFlagRef != 0, b.argsDst(), true)
		if err != nil {
			return false
		}
		b.setArgs(c, args)
	case mRef:
		d.depth = 3
		v, _, err := d.value()
		if err != nil {
			return false
		}
		switch x := v.(type) {
		case pyval.Tuple:
			b.setArgs(c, append(b.argsDst(), x...))
		case []any:
			b.setArgs(c, append(b.argsDst(), x...))
		default:
			return false
		}
	default:
		return false
	}
	d.depth = 3
	if d.emptyDict() {
		return d.count(1) == nil
	}
	kwargs, _, err := d.value()
	return err == nil && kwargs != marshalNullValue && batchKwargs(c, kwargs)
}
