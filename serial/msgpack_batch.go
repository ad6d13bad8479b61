package serial

import "github.com/tinylib/msgp/msgp"

// UnmarshalBatch decodes ["obj", "<batch>", [entries], nil] into b, each
// entry ["method", [vargs], kwargs] into one of b's calls (see
// BatchUnmarshaler).
func (c msgpackCodec) UnmarshalBatch(data []byte, b *Batch) bool {
	b.Reset()
	d := mpDecoder{data: data, gen5: c.gen5}
	if n, ok := d.arrayHeader(); !ok || n != 4 {
		return false
	}
	object, ok := d.str(1)
	if !ok {
		return false
	}
	if method, ok := d.str(1); !ok || method != MethodBatch {
		return false
	}
	n, ok := d.arrayHeader()
	if !ok {
		return false
	}
	for range n {
		if !d.batchEntry(b) {
			return b.fail()
		}
	}
	switch {
	case len(d.data) == 0:
		return b.fail()
	case d.data[0] == 0xc0, d.data[0] == 0x80: // nil, {}
		d.data = d.data[1:]
	default:
		return b.fail()
	}
	if len(d.data) > 0 {
		return b.fail()
	}
	b.Object = object
	return true
}

// arrayHeader reads an array's header.
func (d *mpDecoder) arrayHeader() (uint32, bool) {
	if len(d.data) == 0 || !isMsgpackArray(d.data[0]) {
		return 0, false
	}
	n, rest, err := msgp.ReadArrayHeaderBytes(d.data)
	if err != nil {
		return 0, false
	}
	d.data = rest
	return n, true
}

// str reads a str at depth.
func (d *mpDecoder) str(depth int) (string, bool) {
	v, err := d.value(depth)
	s, ok := v.(string)
	return s, err == nil && ok
}

// batchEntry reads one entry, at depth 2, into a new call of b.
func (d *mpDecoder) batchEntry(b *Batch) bool {
	if n, ok := d.arrayHeader(); !ok || n != 3 {
		return false
	}
	name, ok := d.str(3)
	if !ok || len(d.data) == 0 || !isMsgpackArray(d.data[0]) {
		return false
	}
	c := b.next()
	c.setMethod(name)
	args, err := d.arrayInto(b.argsDst(), 3)
	if err != nil {
		return false
	}
	b.setArgs(c, args)
	if len(d.data) > 0 && d.data[0] == 0x80 {
		d.data = d.data[1:]
		return true
	}
	kwargs, err := d.value(3)
	return err == nil && batchKwargs(c, kwargs)
}
