package naming

import (
	"context"

	"github.com/gyro-rpc/gyro/dispatch"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/wire"
)

// Pyro5's name server API, served by the same NameServer (one registry)
// to the Pyro5 clients of a gyro name server. It differs from Pyro4's in
// three ways (docs/pyro5-wire.md, section 7): the metadata searches moved
// from list to yplookup (Pyro5 only, through dispatch.Exposure.Protocol),
// list takes (prefix, regex, return_metadata), and metadata comes back as
// a set.

// NameServerClassTag5 is the metadata Pyro5's name server registers itself
// with. gyro's name server stores NameServerClassTag and shows it to Pyro5
// clients as this one, in results and in yplookup's filters.
const NameServerClassTag5 = "class:Pyro5.nameserver.NameServer"

// isPyro5 reports whether the call in ctx comes from a Pyro5 client.
func isPyro5(ctx context.Context) bool {
	cc, ok := dispatch.FromContext(ctx)
	return ok && cc.Protocol == wire.Pyro5
}

// metadataOut is the metadata of a registration as a reply carries it:
// Pyro4's list, Pyro5's set.
func metadataOut(ctx context.Context, tags []string) any {
	if !isPyro5(ctx) {
		return tagList(tags)
	}
	out := tagList(tags)
	for i, t := range out {
		if t == NameServerClassTag {
			out[i] = NameServerClassTag5
		}
	}
	return pyval.Set(out)
}

// tagsIn5 maps NameServerClassTag5 in a yplookup filter to the stored
// NameServerClassTag. Anything but an iterable goes through unchanged, for
// tagSet to refuse as it does.
func tagsIn5(v any) any {
	if _, ok := v.(string); ok || !truthy(v) {
		return v
	}
	elems, err := iterate(v)
	if err != nil {
		return v
	}
	out := make([]any, len(elems))
	for i, e := range elems {
		if e == NameServerClassTag5 {
			e = NameServerClassTag
		}
		out[i] = e
	}
	return out
}

// list5Args maps the arguments of a Pyro5 list(prefix, regex,
// return_metadata) call, which arrive bound to Pyro4's list(prefix, regex,
// metadata_all, metadata_any, return_metadata): Pyro5's third positional
// argument lands in metadata_all.
func list5Args(metadataAll, metadataAny, returnMetadata any) (any, error) {
	if metadataAny != nil {
		return nil, typeError("NameServer.list() takes from 1 to 4 positional arguments but 5 were given")
	}
	if metadataAll != nil && returnMetadata != nil {
		return nil, typeError("NameServer.list() got multiple values for argument 'return_metadata'")
	}
	if metadataAll != nil {
		return metadataAll, nil
	}
	return returnMetadata, nil
}

// Yplookup is Pyro5's yellow-pages lookup, yplookup(meta_all=None,
// meta_any=None, return_metadata=True): the registrations having every
// tag of meta_all, or at least one of meta_any, as a dict name -> (URI
// string, {tags}), or name -> URI string without return_metadata. Both
// filters is a ValueError, neither an empty dict. Pyro4 clients do not
// have it.
func (ns *NameServer) Yplookup(ctx context.Context, metaAll, metaAny, returnMetadata any) (*pyval.Dict, error) {
	if truthy(metaAll) && truthy(metaAny) {
		return nil, pyval.NewException(pyval.ClassValueError, "you can't use meta_all or meta_any at the same time")
	}
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	var (
		regs []Registration
		err  error
	)
	switch {
	case truthy(metaAll):
		regs, err = ns.byMetadata(ctx, tagsIn5(metaAll), "metadata_all", true)
	case truthy(metaAny):
		regs, err = ns.byMetadata(ctx, tagsIn5(metaAny), "metadata_any", false)
	default:
		return pyval.NewDict(0), nil
	}
	if err != nil {
		return nil, err
	}
	withMeta := returnMetadata == nil || truthy(returnMetadata) // omitted means True
	return registrationsDict(ctx, regs, withMeta), nil
}
