package naming

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Creator is implemented by stores that can add a registration only when
// its name is free, in one atomic step. A safe register uses it when the
// store has it, because the name server's own lock cannot exclude other
// name server processes sharing a distributed store; without it the name
// server checks and sets under its lock, which suffices for one process.
type Creator interface {
	// Create adds r unless its name is registered, and reports whether
	// it did.
	Create(ctx context.Context, r Registration) (bool, error)
}

// Lease is a set of registrations that live as long as their owner keeps
// the lease alive: when the process dies, or Close is called, they
// disappear from the store after at most the lease's TTL (at once for
// Close).
type Lease interface {
	// Done is closed when the lease is lost (expired, revoked, or the
	// store closed); the registrations are then gone or going.
	Done() <-chan struct{}
	// Close revokes the lease, removing its registrations now.
	Close() error
}

// Leaser is implemented by stores that can tie registrations to a lease
// the calling process keeps alive (naming/etcdstore).
type Leaser interface {
	// RegisterLeased registers regs (replacing existing names) under a
	// new lease of the given TTL and keeps it alive in the background.
	RegisterLeased(ctx context.Context, ttl time.Duration, regs ...Registration) (Lease, error)
}

// ErrLeasesUnsupported is RegisterLeased's error for a store without
// leases: the memory and bolt stores live in one process, whose death takes
// them along, so a lease would mean nothing there.
var ErrLeasesUnsupported = errors.New("naming: leased registrations need a store with leases (etcd:, naming/etcdstore)")

// RegisterLeased registers names directly in st under a lease kept alive by
// this process, so that they vanish by themselves some TTL after it dies
// (Pyro4 clients see ordinary registrations). Names and tags are checked as
// register checks them. A store that is not a Leaser (memory, bolt) gives
// ErrLeasesUnsupported and stores nothing.
func RegisterLeased(ctx context.Context, st Storage, ttl time.Duration, regs ...Registration) (Lease, error) {
	l, ok := st.(Leaser)
	if !ok {
		return nil, ErrLeasesUnsupported
	}
	if ttl < time.Second {
		return nil, fmt.Errorf("naming: lease TTL %v is below one second", ttl)
	}
	out := make([]Registration, len(regs))
	for i, r := range regs {
		if _, err := checkName(r.Name); err != nil {
			return nil, err
		}
		if _, err := parseURI(r.URI); err != nil {
			return nil, err
		}
		out[i] = Registration{Name: r.Name, URI: r.URI, Metadata: normTags(slices.Clone(r.Metadata))}
	}
	return l.RegisterLeased(ctx, ttl, out...)
}
