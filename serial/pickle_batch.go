package serial

import "github.com/gyro-rpc/gyro/pyval"

// UnmarshalBatch decodes a pickled batch into b (see BatchUnmarshaler).
// The unpickler has no call path of its own: the batch is unpickled whole,
// as any call, and its entries are moved into b's calls, which spares the
// dispatcher their conversion and the reply its list.
func (pc pickleCodec) UnmarshalBatch(data []byte, b *Batch) bool {
	b.Reset()
	var c Call
	if pc.UnmarshalCall(data, &c) != nil || c.Method != MethodBatch || c.Kwargs != nil {
		return false
	}
	for _, raw := range c.Args {
		parts, ok := raw.(pyval.Tuple)
		if !ok {
			if parts, ok = raw.([]any); !ok {
				return b.fail()
			}
		}
		if len(parts) != 3 {
			return b.fail()
		}
		name, ok := parts[0].(string)
		if !ok {
			return b.fail()
		}
		call := b.next()
		call.Method = name
		switch v := parts[1].(type) {
		case pyval.Tuple:
			call.Args = append(call.Args, v...)
		case []any:
			call.Args = append(call.Args, v...)
		default:
			return b.fail()
		}
		if !batchKwargs(call, parts[2]) {
			return b.fail()
		}
	}
	b.Object = c.Object
	return true
}
