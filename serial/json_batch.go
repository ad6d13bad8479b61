package serial

// UnmarshalBatch decodes {"object": ..., "method": "<batch>", "params":
// [entries], "kwargs": null} into b, each entry ["method", [vargs],
// kwargs] into one of b's calls (see BatchUnmarshaler). A batch with
// class dicts takes the generic path, which rebuilds them.
func (jc jsonCodec) UnmarshalBatch(data []byte, b *Batch) bool {
	b.Reset()
	d := newJSONDecoder(data)
	defer d.release()
	if d.begin() != nil || d.pos >= len(d.data) || d.data[d.pos] != '{' || d.enter("object") != nil {
		return false
	}
	d.pos++
	d.skipSpace()
	var have uint8
	var object, method string
	for d.pos < len(d.data) && d.data[d.pos] == '"' {
		kb, err := d.strBytes()
		if err != nil {
			return b.fail()
		}
		key := -1
		for i, k := range callKeys {
			if string(kb) == k {
				key = i
			}
		}
		d.skipSpace()
		if key < 0 || have&(1<<key) != 0 || d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return b.fail() // other keys, repeated keys: the generic path
		}
		have |= 1 << key
		d.pos++
		d.skipSpace()
		switch key {
		case 0:
			if !d.batchEntries(b) {
				return b.fail()
			}
		case 1:
			if d.emptyObject() {
				break
			}
			if !d.hasPrefix("null") {
				return b.fail()
			}
			d.pos += 4
		default:
			if d.pos >= len(d.data) || d.data[d.pos] != '"' {
				return b.fail()
			}
			s, err := d.strBytes()
			if err != nil {
				return b.fail()
			}
			if key == 2 {
				object = internString(s)
			} else {
				method = internString(s)
			}
		}
		d.skipSpace()
		if d.pos < len(d.data) && d.data[d.pos] == ',' {
			d.pos++
			d.skipSpace()
			continue
		}
		break
	}
	if d.pos >= len(d.data) || d.data[d.pos] != '}' {
		return b.fail()
	}
	d.pos++
	d.depth--
	d.values += 5 // the call object, its strs, the entries and the kwargs
	if have != 1<<len(callKeys)-1 || method != MethodBatch || d.sawClass || d.end() != nil || d.values > maxValues {
		return b.fail()
	}
	b.Object = object
	return true
}

// batchEntries reads a batch's list of entries into b.
func (d *jsonDecoder) batchEntries(b *Batch) bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '[' || d.enter("array") != nil {
		return false
	}
	d.pos++
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return true
	}
	for {
		if !d.batchEntry(b) {
			return false
		}
		d.skipSpace()
		if d.pos < len(d.data) && d.data[d.pos] == ']' {
			break
		}
		if d.pos >= len(d.data) || d.data[d.pos] != ',' {
			return false
		}
		d.pos++
		d.skipSpace()
	}
	d.pos++
	d.depth--
	return true
}

// batchEntry reads one entry into a new call of b.
func (d *jsonDecoder) batchEntry(b *Batch) bool {
	if d.pos >= len(d.data) || d.data[d.pos] != '[' || d.enter("array") != nil {
		return false
	}
	d.pos++
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return false
	}
	name, err := d.strBytes()
	if err != nil || !d.comma() || d.pos >= len(d.data) || d.data[d.pos] != '[' {
		return false
	}
	c := b.next()
	c.setMethod(internString(name))
	args, err := d.arrayElems(b.argsDst(), true)
	if err != nil {
		return false
	}
	b.setArgs(c, args)
	if !d.comma() {
		return false
	}
	d.values += 3 // the entry, its name and its vargs
	var kwargs any = emptyKwargs{}
	if d.emptyObject() {
		d.values++
	} else if kwargs, err = d.value(); err != nil {
		return false
	}
	if !batchKwargs(c, kwargs) {
		return false
	}
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ']' {
		return false
	}
	d.pos++
	d.depth--
	return true
}

// comma consumes a ',' between optional space.
func (d *jsonDecoder) comma() bool {
	d.skipSpace()
	if d.pos >= len(d.data) || d.data[d.pos] != ',' {
		return false
	}
	d.pos++
	d.skipSpace()
	return true
}
