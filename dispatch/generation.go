package dispatch

import (
	"fmt"

	"github.com/gyro-rpc/gyro/pyval"
)

// Wire protocol generations, as CallContext.Protocol and
// Exposure.Protocol give them (wire.Pyro4, wire.Pyro5; dispatch does not
// depend on wire).
const (
	protocol4 = 48
	protocol5 = 502
)

// lookupFor is lookup for a call of cc's protocol generation: a method
// limited to the other generation (Exposure.Protocol) does not exist for it.
func (t *typeTable) lookupFor(name string, cc *CallContext) (*method, *attr, *pyval.Exception) {
	m, a, exc := t.lookup(name)
	if m != nil && !m.serves(cc) {
		return nil, nil, pyval.NewException(pyval.ClassAttributeError, fmt.Sprintf("'%s' object has no attribute '%s'", t.name, name))
	}
	return m, a, exc
}

// serves reports whether m may be called by cc's client; without a
// protocol (direct calls, tests) every method may.
func (m *method) serves(cc *CallContext) bool {
	return m.protocol == 0 || cc == nil || cc.Protocol == 0 || cc.Protocol == m.protocol
}

// MetadataFor is Metadata as the clients of one protocol generation (48 or
// 502) see it: without the methods Exposure.Protocol limits to the other.
// Protocol 0 gives every method.
func (r *Registry) MetadataFor(id string, protocol int) (Metadata, error) {
	e, ok := r.state.Load().byID[id]
	if !ok {
		return Metadata{}, r.raise(errUnknownObject(), nil)
	}
	md := e.tab.meta.clone()
	if protocol == 0 {
		return md, nil
	}
	cc := &CallContext{Protocol: protocol}
	keep := func(names []string) []string {
		out := names[:0]
		for _, n := range names {
			if m := e.tab.methods[n]; m == nil || m.serves(cc) {
				out = append(out, n)
			}
		}
		return out
	}
	md.Methods, md.Oneway = keep(md.Methods), keep(md.Oneway)
	return md, nil
}
