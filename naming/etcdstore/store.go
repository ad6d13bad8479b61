package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gyro-rpc/gyro/naming"
)

// DefaultPrefix is the key prefix of a registry when Options.Prefix is "".
const DefaultPrefix = "/gyro/ns/"

// DefaultTimeout bounds every etcd request and the age of the cache when
// Options.Timeout is 0.
const DefaultTimeout = 3 * time.Second

// maxTxnOps stays below etcd's default --max-txn-ops (128).
const maxTxnOps = 100

// ErrUnavailable is wrapped by every error caused by etcd not answering
// (unreachable, no quorum, or slower than Options.Timeout).
var ErrUnavailable = errors.New("etcd unavailable")

// Options configure Open.
type Options struct {
	// Endpoints are the client URLs of the etcd members, such as
	// "http://127.0.0.1:2379". Ignored when Client is set.
	Endpoints []string
	// Prefix is prepended to every name to make its key, so several
	// registries can share one cluster; "" means DefaultPrefix.
	Prefix string
	// Timeout bounds every request to etcd, and how long listings are
	// still answered from the cache after etcd last answered; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Client, when set, is used instead of dialing Endpoints; Close does
	// not close it.
	Client *clientv3.Client
	// Logger reports lost watches and resynchronisations; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Store is a naming.Storage on etcd. Lookups (Get) and every write go to
// etcd; listings and Count come from a cache that a watch on the prefix
// keeps current. A write returns once the watch has brought it into the
// cache, so the process that wrote always lists what it wrote.
type Store struct {
	cli     *clientv3.Client
	ownCli  bool
	prefix  string
	timeout time.Duration
	log     *slog.Logger
	bg      context.Context // the watch's; RequestProgress needs its stream
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu     sync.RWMutex
	cache  map[string]naming.Registration
	sorted []string      // names in order; nil when it must be rebuilt
	rev    int64         // the etcd revision the cache reflects
	revCh  chan struct{} // closed (and replaced) when rev advances
	lastOK time.Time     // when etcd last answered
	closed bool
	leases map[*lease]struct{}
}

// record is a registration's value in etcd.
type record struct {
	URI  string   `json:"uri"`
	Tags []string `json:"tags,omitempty"`
}

var (
	_ naming.Storage = (*Store)(nil)
	_ naming.Creator = (*Store)(nil)
	_ naming.Leaser  = (*Store)(nil)
)

// ParseSpec returns the endpoints of a storage spec "etcd:URL[,URL...]",
// as given to gyro ns -s.
func ParseSpec(spec string) ([]string, error) {
	rest, ok := strings.CutPrefix(spec, "etcd:")
	if !ok || rest == "" {
		return nil, fmt.Errorf("%w '%s' (use etcd:http://host:port[,http://host2:port...])", naming.ErrInvalidStorage, spec)
	}
	eps := strings.Split(rest, ",")
	for _, ep := range eps {
		if !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
			return nil, fmt.Errorf("%w '%s': endpoint %q is not an http:// or https:// URL", naming.ErrInvalidStorage, spec, ep)
		}
	}
	return eps, nil
}

// Open connects to etcd, loads the registry under the prefix into the
// cache and starts watching it. It fails with ErrUnavailable when etcd does
// not answer within the timeout.
func Open(ctx context.Context, opts Options) (*Store, error) {
	s := &Store{
		cli: opts.Client, prefix: opts.Prefix, timeout: opts.Timeout, log: opts.Logger,
		revCh: make(chan struct{}), leases: make(map[*lease]struct{}),
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cli == nil {
		if len(opts.Endpoints) == 0 {
			return nil, errors.New("etcdstore: no endpoints")
		}
		cli, err := clientv3.New(clientv3.Config{
			Endpoints: opts.Endpoints, DialTimeout: s.timeout,
			DialKeepAliveTime: s.timeout, DialKeepAliveTimeout: s.timeout,
			Logger: quietZap(),
		})
		if err != nil {
			return nil, fmt.Errorf("etcdstore: %w", err)
		}
		s.cli, s.ownCli = cli, true
	}
	if err := s.load(ctx); err != nil {
		if s.ownCli {
			s.cli.Close()
		}
		return nil, fmt.Errorf("etcdstore: loading %s: %w", s.prefix, err)
	}
	bg, cancel := context.WithCancel(context.Background())
	s.bg, s.cancel = clientv3.WithRequireLeader(bg), cancel
	s.wg.Add(2)
	go s.watch(s.bg)
	go s.health(s.bg)
	return s, nil
}

// Client returns the etcd client.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix returns the key prefix of the registry.
func (s *Store) Prefix() string { return s.prefix }

// op runs one request under the store's timeout and turns a missing answer
// into ErrUnavailable; the caller's own cancellation is returned as is.
func (s *Store) op(ctx context.Context, f func(ctx context.Context) error) error {
	if s.isClosed() {
		return naming.ErrStorageClosed
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	err := f(octx)
	if err == nil {
		s.answered()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if octx.Err() != nil {
		return fmt.Errorf("%w: no answer within %v from %s", ErrUnavailable, s.timeout, strings.Join(s.cli.Endpoints(), ","))
	}
	// Not a timeout: a refused request (no leader, too many ops...). Its
	// text is kept, without wrapping gRPC's status types.
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

func (s *Store) answered() {
	s.mu.Lock()
	s.lastOK = time.Now()
	s.mu.Unlock()
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

func (s *Store) key(name string) string { return s.prefix + name }

func encode(r naming.Registration) string {
	b, _ := json.Marshal(record{URI: r.URI, Tags: r.Metadata})
	return string(b)
}

func decode(name string, v []byte) (naming.Registration, error) {
	var rec record
	if err := json.Unmarshal(v, &rec); err != nil {
		return naming.Registration{}, fmt.Errorf("etcdstore: bad record for %q: %w", name, err)
	}
	return naming.Registration{Name: name, URI: rec.URI, Metadata: rec.Tags}, nil
}

// Get implements naming.Storage with a linearizable read from etcd, so a
// name registered through any name server is found at once.
func (s *Store) Get(ctx context.Context, name string) (r naming.Registration, ok bool, err error) {
	err = s.op(ctx, func(ctx context.Context) error {
		resp, err := s.cli.Get(ctx, s.key(name))
		if err != nil {
			return err
		}
		if len(resp.Kvs) == 0 {
			return nil
		}
		ok = true
		r, err = decode(name, resp.Kvs[0].Value)
		return err
	})
	return r, ok, err
}

// Set implements naming.Storage. A leased name that is set again loses its
// lease: the new registration is permanent, as every register is.
func (s *Store) Set(ctx context.Context, r naming.Registration) error {
	var rev int64
	err := s.op(ctx, func(ctx context.Context) error {
		resp, err := s.cli.Put(ctx, s.key(r.Name), encode(r))
		if err == nil {
			rev = resp.Header.Revision
		}
		return err
	})
	if err != nil {
		return err
	}
	return s.waitRev(ctx, rev)
}

// Create implements naming.Creator: a compare-and-create transaction, so
// of several name servers racing for one safe register exactly one wins.
func (s *Store) Create(ctx context.Context, r naming.Registration) (bool, error) {
	var (
		created bool
		rev     int64
	)
	k := s.key(r.Name)
	err := s.op(ctx, func(ctx context.Context) error {
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(k), "=", 0)).
			Then(clientv3.OpPut(k, encode(r))).Commit()
		if err == nil {
			created, rev = resp.Succeeded, resp.Header.Revision
		}
		return err
	})
	if err != nil || !created {
		return false, err
	}
	return true, s.waitRev(ctx, rev)
}

// casAttempts bounds SetMetadata's retries when other writers keep
// changing the same registration.
const casAttempts = 10

// SetMetadata implements naming.Storage: read, then replace only if the
// registration is unchanged meanwhile (retried), keeping its lease.
func (s *Store) SetMetadata(ctx context.Context, name string, tags []string) (bool, error) {
	k := s.key(name)
	for range casAttempts {
		var (
			found, done bool
			rev         int64
		)
		err := s.op(ctx, func(ctx context.Context) error {
			resp, err := s.cli.Get(ctx, k)
			if err != nil || len(resp.Kvs) == 0 {
				return err
			}
			found = true
			kv := resp.Kvs[0]
			r, err := decode(name, kv.Value)
			if err != nil {
				return err
			}
			r.Metadata = tags
			tx, err := s.cli.Txn(ctx).
				If(clientv3.Compare(clientv3.ModRevision(k), "=", kv.ModRevision)).
				Then(clientv3.OpPut(k, encode(r), clientv3.WithIgnoreLease())).Commit()
			if err == nil {
				done, rev = tx.Succeeded, tx.Header.Revision
			}
			return err
		})
		if err != nil || !found {
			return false, err
		}
		if done {
			return true, s.waitRev(ctx, rev)
		}
	}
	return false, fmt.Errorf("etcdstore: %q kept changing during %d attempts to set its metadata", name, casAttempts)
}

// Delete implements naming.Storage in transactions of up to maxTxnOps
// names: all or nothing for up to that many, batch by batch beyond.
func (s *Store) Delete(ctx context.Context, names ...string) (int, error) {
	n := 0
	var rev int64
	for batch := range slices.Chunk(names, maxTxnOps) {
		ops := make([]clientv3.Op, len(batch))
		for i, name := range batch {
			ops[i] = clientv3.OpDelete(s.key(name))
		}
		err := s.op(ctx, func(ctx context.Context) error {
			resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
			if err != nil {
				return err
			}
			for _, r := range resp.Responses {
				if d := r.GetResponseDeleteRange(); d != nil && d.Deleted > 0 {
					n += int(d.Deleted)
					rev = resp.Header.Revision
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	if rev == 0 {
		return n, nil
	}
	return n, s.waitRev(ctx, rev)
}

// fresh fails when etcd has not answered for longer than the timeout: the
// cache may then miss changes, and a listing would be a silent stale answer.
// The caller holds the read lock.
func (s *Store) fresh() error {
	if s.closed {
		return naming.ErrStorageClosed
	}
	if age := time.Since(s.lastOK); age > s.timeout {
		return fmt.Errorf("%w: no answer for %v, the cached registry may be stale", ErrUnavailable, age.Round(time.Millisecond))
	}
	return nil
}

// rlockIndexed takes the read lock with the sorted index built and the
// cache fresh.
func (s *Store) rlockIndexed() error {
	for {
		s.mu.RLock()
		if err := s.fresh(); err != nil {
			s.mu.RUnlock()
			return err
		}
		if s.sorted != nil {
			return nil
		}
		s.mu.RUnlock()
		s.mu.Lock()
		if s.sorted == nil && s.cache != nil {
			s.sorted = make([]string, 0, len(s.cache))
			for n := range s.cache {
				s.sorted = append(s.sorted, n)
			}
			slices.Sort(s.sorted)
		}
		s.mu.Unlock()
	}
}

// List implements naming.Storage from the cache.
func (s *Store) List(_ context.Context, prefix string) ([]naming.Registration, error) {
	if err := s.rlockIndexed(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	start, _ := slices.BinarySearch(s.sorted, prefix)
	var out []naming.Registration
	for _, n := range s.sorted[start:] {
		if !strings.HasPrefix(n, prefix) {
			break
		}
		out = append(out, s.cache[n])
	}
	return out, nil
}

// Iterate implements naming.Storage from the cache; fn runs under its read
// lock.
func (s *Store) Iterate(_ context.Context, fn func(naming.Registration) bool) error {
	if err := s.rlockIndexed(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	for _, n := range s.sorted {
		if !fn(s.cache[n]) {
			break
		}
	}
	return nil
}

// Count implements naming.Storage from the cache.
func (s *Store) Count(context.Context) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.fresh(); err != nil {
		return 0, err
	}
	return len(s.cache), nil
}

// Close implements naming.Storage: it stops the watch, revokes the leases
// this store granted (their names go at once) and closes the client it
// dialed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	leases := make([]*lease, 0, len(s.leases))
	for l := range s.leases {
		leases = append(leases, l)
	}
	s.mu.Unlock()
	var errs []error
	for _, l := range leases {
		errs = append(errs, l.Close())
	}
	s.mu.Lock()
	s.closed = true
	s.cache, s.sorted = nil, nil
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	if s.ownCli {
		errs = append(errs, s.cli.Close())
	}
	return errors.Join(errs...)
}
