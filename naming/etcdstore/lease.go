package etcdstore

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gyro-rpc/gyro/naming"
)

// lease is a naming.Lease: an etcd lease kept alive by this process.
type lease struct {
	s      *Store
	id     clientv3.LeaseID
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	err    error
}

// RegisterLeased implements naming.Leaser: it grants a lease of ttl
// (rounded up to whole seconds, etcd's unit), puts regs under it and keeps
// it alive until Close or the store's Close. When this process dies the
// keep-alives stop and etcd deletes the names after the TTL; every name
// server's watch then drops them. Prefer naming.RegisterLeased, which
// validates names and URIs first.
func (s *Store) RegisterLeased(ctx context.Context, ttl time.Duration, regs ...naming.Registration) (naming.Lease, error) {
	var id clientv3.LeaseID
	err := s.op(ctx, func(ctx context.Context) error {
		g, err := s.cli.Grant(ctx, int64(math.Ceil(ttl.Seconds())))
		if err == nil {
			id = g.ID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	kctx, cancel := context.WithCancel(context.Background())
	l := &lease{s: s, id: id, cancel: cancel, done: make(chan struct{})}
	ka, err := s.cli.KeepAlive(kctx, id)
	if err != nil {
		cancel()
		return nil, errors.Join(err, l.revoke())
	}
	go func() {
		for range ka { // drain: the client closes ka when the lease is lost
		}
		close(l.done)
	}()
	var rev int64
	for batch := range slices.Chunk(regs, maxTxnOps) {
		ops := make([]clientv3.Op, len(batch))
		for i, r := range batch {
			ops[i] = clientv3.OpPut(s.key(r.Name), encode(r), clientv3.WithLease(id))
		}
		err = s.op(ctx, func(ctx context.Context) error {
			resp, err := s.cli.Txn(ctx).Then(ops...).Commit()
			if err == nil {
				rev = resp.Header.Revision
			}
			return err
		})
		if err != nil {
			return nil, errors.Join(err, l.Close())
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.Join(naming.ErrStorageClosed, l.Close())
	}
	s.leases[l] = struct{}{}
	s.mu.Unlock()
	if rev > 0 {
		if err := s.waitRev(ctx, rev); err != nil {
			return nil, errors.Join(err, l.Close())
		}
	}
	return l, nil
}

// ID returns the etcd lease id, for etcdctl.
func (l *lease) ID() clientv3.LeaseID { return l.id }

// Done implements naming.Lease.
func (l *lease) Done() <-chan struct{} { return l.done }

// Close implements naming.Lease: it stops the keep-alives and revokes the
// lease, so its names go at once.
func (l *lease) Close() error {
	l.once.Do(func() {
		l.cancel()
		l.err = l.revoke()
		l.s.mu.Lock()
		delete(l.s.leases, l)
		l.s.mu.Unlock()
	})
	return l.err
}

func (l *lease) revoke() error {
	octx, cancel := context.WithTimeout(context.Background(), l.s.timeout)
	defer cancel()
	_, err := l.s.cli.Revoke(octx, l.id)
	return err
}
