package naming

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Registration is one name server entry: a name, the URI string it maps to
// (stored as the client gave it, as Pyro4 does) and its metadata tags.
type Registration struct {
	Name     string
	URI      string
	Metadata []string // sorted, without duplicates; nil when there are none
}

// Storage is where a NameServer keeps its registrations. The name server
// serializes its own calls, but an implementation must still be safe for
// concurrent use: lookups run in parallel under a read lock.
//
// A write that returns an error must leave the store as it was: the name
// server reports it as a NamingError and promises that nothing already
// stored was lost. Implementations return plain Go errors; the name server
// adds the Pyro4 class. The context carries the remote call's lifetime, for
// stores that wait on a network (a distributed backend).
type Storage interface {
	// Get returns the registration of name, and false when there is none.
	Get(ctx context.Context, name string) (Registration, bool, error)
	// Set adds or replaces a registration.
	Set(ctx context.Context, r Registration) error
	// SetMetadata replaces the tags of an existing name (nil clears them);
	// it reports false, and changes nothing, when the name is unknown.
	SetMetadata(ctx context.Context, name string, tags []string) (bool, error)
	// Delete removes names, ignoring unknown ones, all or nothing, and
	// returns how many it removed.
	Delete(ctx context.Context, names ...string) (int, error)
	// List returns the registrations whose name starts with prefix ("" for
	// all), sorted by name. Stores answer it with an index where they can.
	// Callers treat the returned tag slices as read-only.
	List(ctx context.Context, prefix string) ([]Registration, error)
	// Iterate calls fn for every registration in name order until fn
	// returns false. fn must not call the store nor modify the tags.
	Iterate(ctx context.Context, fn func(Registration) bool) error
	// Count returns the number of registrations.
	Count(ctx context.Context) (int, error)
	// Close releases the store. Every later call fails.
	Close() error
}

// ErrStorageClosed is returned by a MemoryStorage after Close.
var ErrStorageClosed = errors.New("naming: storage closed")

// ErrInvalidStorage is wrapped by OpenStorage's errors about the spec.
var ErrInvalidStorage = errors.New("invalid storage type")

// OpenStorage opens a store from a spec in the spirit of Pyro4's -s option:
//
//	""  or "memory"   a MemoryStorage (lost on exit)
//	"bolt:<file>"     a BoltStorage in file (created if missing)
//
// Pyro4's own "sql:<file>" (SQLite) and "dbm:<file>" are refused with an
// error that points to bolt:, gyro's persistent store; their files are not
// compatible anyway. "etcd:..." is refused too: the etcd store lives in
// naming/etcdstore, so that programs that do not use it do not link the
// etcd client; open it there and pass it as NSOptions.Store.
func OpenStorage(spec string) (Storage, error) {
	kind, arg, _ := strings.Cut(spec, ":")
	switch {
	case spec == "" || spec == "memory":
		return NewMemoryStorage(), nil
	case kind == "bolt" && arg != "":
		return OpenBolt(arg, BoltOptions{})
	case kind == "etcd":
		return nil, fmt.Errorf("%w '%s': etcd storage is opened by naming/etcdstore (gyro ns -s etcd:... links it), not by OpenStorage", ErrInvalidStorage, spec)
	case (kind == "sql" || kind == "dbm") && arg != "":
		return nil, fmt.Errorf("%w '%s': Pyro4's %s storage is not available in gyro; use bolt:%s (an embedded bbolt file)", ErrInvalidStorage, spec, kind, arg)
	}
	return nil, fmt.Errorf("%w '%s' (use memory or bolt:<file>)", ErrInvalidStorage, spec)
}

// MemoryStorage keeps registrations in a map: Pyro4's default MemoryStorage,
// forgotten when the process ends.
type MemoryStorage struct {
	mu     sync.RWMutex
	m      map[string]Registration
	sorted []string // names in order; nil when it must be rebuilt
	closed bool
}

// NewMemoryStorage returns an empty in-memory store.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{m: make(map[string]Registration)}
}

// Get implements Storage.
func (s *MemoryStorage) Get(_ context.Context, name string) (Registration, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Registration{}, false, ErrStorageClosed
	}
	r, ok := s.m[name]
	return r.clone(), ok, nil
}

// Set implements Storage.
func (s *MemoryStorage) Set(_ context.Context, r Registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrStorageClosed
	}
	if _, ok := s.m[r.Name]; !ok {
		s.sorted = nil
	}
	s.m[r.Name] = r.clone()
	return nil
}

// SetMetadata implements Storage.
func (s *MemoryStorage) SetMetadata(_ context.Context, name string, tags []string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, ErrStorageClosed
	}
	r, ok := s.m[name]
	if !ok {
		return false, nil
	}
	r.Metadata = slices.Clone(tags)
	s.m[name] = r
	return true, nil
}

// Delete implements Storage.
func (s *MemoryStorage) Delete(_ context.Context, names ...string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrStorageClosed
	}
	n := 0
	for _, name := range names {
		if _, ok := s.m[name]; ok {
			delete(s.m, name)
			n++
		}
	}
	if n > 0 {
		s.sorted = nil
	}
	return n, nil
}

// names returns the sorted names, rebuilding the index when a name came or
// went; the caller holds the write lock.
func (s *MemoryStorage) names() []string {
	if s.sorted != nil {
		return s.sorted
	}
	names := make([]string, 0, len(s.m))
	for n := range s.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// rlockIndexed takes the read lock with the sorted index built, so readers
// run in parallel; the rare rebuild takes the write lock in between.
func (s *MemoryStorage) rlockIndexed() error {
	for {
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			return ErrStorageClosed
		}
		if s.sorted != nil {
			return nil
		}
		s.mu.RUnlock()
		s.mu.Lock()
		if !s.closed {
			s.sorted = s.names()
		}
		s.mu.Unlock()
	}
}

// List implements Storage.
func (s *MemoryStorage) List(_ context.Context, prefix string) ([]Registration, error) {
	if err := s.rlockIndexed(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	start, _ := slices.BinarySearch(s.sorted, prefix)
	var out []Registration
	for _, n := range s.sorted[start:] {
		if !strings.HasPrefix(n, prefix) {
			break
		}
		out = append(out, s.m[n])
	}
	return out, nil
}

// Iterate implements Storage. fn runs under the read lock.
func (s *MemoryStorage) Iterate(_ context.Context, fn func(Registration) bool) error {
	if err := s.rlockIndexed(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	for _, n := range s.sorted {
		if !fn(s.m[n]) {
			break
		}
	}
	return nil
}

// Count implements Storage.
func (s *MemoryStorage) Count(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrStorageClosed
	}
	return len(s.m), nil
}

// Close implements Storage; it drops every registration.
func (s *MemoryStorage) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.m, s.sorted = nil, nil
	return nil
}

func (r Registration) clone() Registration {
	r.Metadata = slices.Clone(r.Metadata)
	return r
}
