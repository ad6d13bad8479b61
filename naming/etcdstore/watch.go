package etcdstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gyro-rpc/gyro/naming"
)

// quietZap silences the etcd client's own logger; the store reports what
// matters through slog.
func quietZap() *zap.Logger { return zap.NewNop() }

// load replaces the cache with a snapshot of the prefix.
func (s *Store) load(ctx context.Context) error {
	return s.op(ctx, func(ctx context.Context) error {
		resp, err := s.cli.Get(ctx, s.prefix, clientv3.WithPrefix())
		if err != nil {
			return err
		}
		cache := make(map[string]naming.Registration, len(resp.Kvs))
		for _, kv := range resp.Kvs {
			name := strings.TrimPrefix(string(kv.Key), s.prefix)
			if name == "" {
				continue
			}
			r, err := decode(name, kv.Value)
			if err != nil {
				s.log.Warn("etcdstore: skipping a registration", "err", err)
				continue
			}
			cache[name] = r
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		s.cache, s.sorted = cache, nil
		s.setRev(resp.Header.Revision)
		return nil
	})
}

// setRev advances the cache's revision and wakes waitRev; the caller holds
// the write lock.
func (s *Store) setRev(rev int64) {
	if rev <= s.rev {
		return
	}
	s.rev = rev
	close(s.revCh)
	s.revCh = make(chan struct{})
}

// waitRev waits until the watch has brought revision rev into the cache,
// which gives the writer read-your-writes. If the watch lags beyond the
// timeout the write still stands (etcd acknowledged it): the wait ends
// with a warning rather than an error that would claim the write failed.
func (s *Store) waitRev(ctx context.Context, rev int64) error {
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	for {
		s.mu.RLock()
		cur, ch := s.rev, s.revCh
		s.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			s.log.Warn("etcdstore: the watch lags behind a write; listings may miss it briefly", "revision", rev)
			return nil
		}
	}
}

// watch keeps the cache current: it follows the prefix from the cache's
// revision and, when the watch is lost (compaction, no leader), reloads a
// snapshot and follows again, until the store closes.
func (s *Store) watch(ctx context.Context) {
	defer s.wg.Done()
	for {
		s.mu.RLock()
		from := s.rev + 1
		s.mu.RUnlock()
		wch := s.cli.Watch(ctx, s.prefix,
			clientv3.WithPrefix(), clientv3.WithRev(from), clientv3.WithProgressNotify())
		err := s.follow(wch)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("etcdstore: watch lost; reloading the registry", "prefix", s.prefix, "err", err)
		for s.load(ctx) != nil {
			if !sleepCtx(ctx, s.timeout/4) {
				return
			}
		}
	}
}

// follow applies watch responses until the watch ends, and returns why.
func (s *Store) follow(wch clientv3.WatchChan) error {
	for resp := range wch {
		if err := resp.Err(); err != nil {
			return err
		}
		s.mu.Lock()
		s.lastOK = time.Now()
		rev := int64(0)
		if resp.IsProgressNotify() {
			rev = resp.Header.Revision
		}
		for _, ev := range resp.Events {
			name := strings.TrimPrefix(string(ev.Kv.Key), s.prefix)
			rev = max(rev, ev.Kv.ModRevision)
			if name == "" || s.cache == nil {
				continue
			}
			switch ev.Type {
			case clientv3.EventTypePut:
				r, err := decode(name, ev.Kv.Value)
				if err != nil {
					s.log.Warn("etcdstore: skipping a registration", "err", err)
					continue
				}
				if _, ok := s.cache[name]; !ok {
					s.sorted = nil
				}
				s.cache[name] = r
			case clientv3.EventTypeDelete:
				if _, ok := s.cache[name]; ok {
					delete(s.cache, name)
					s.sorted = nil
				}
			}
		}
		s.setRev(rev)
		s.mu.Unlock()
	}
	return fmt.Errorf("watch channel closed")
}

// health asks etcd for a key every quarter of the timeout, so that a
// listing knows whether the cache can still be trusted while nothing
// changes (an idle watch says nothing).
func (s *Store) health(ctx context.Context) {
	defer s.wg.Done()
	for sleepCtx(ctx, s.timeout/4) {
		s.op(ctx, func(ctx context.Context) error {
			_, err := s.cli.Get(ctx, s.prefix, clientv3.WithCountOnly())
			return err
		})
	}
}

// sleepCtx waits d, reporting false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Sync waits until the cache holds every write etcd had acknowledged when
// Sync was called, from any process: after it, listings through this
// store see what other name servers wrote before. It costs two round trips
// and ranges over nothing, and is bounded by the store's timeout.
func (s *Store) Sync(ctx context.Context) error {
	var rev int64
	err := s.op(ctx, func(ctx context.Context) error {
		resp, err := s.cli.Get(ctx, s.prefix, clientv3.WithCountOnly())
		if err == nil {
			rev = resp.Header.Revision
		}
		return err
	})
	if err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	for {
		s.mu.RLock()
		cur, ch := s.rev, s.revCh
		s.mu.RUnlock()
		if cur >= rev {
			return nil
		}
		// a progress notification carries the watch's revision even when
		// no event of this prefix came after rev
		if err := s.cli.RequestProgress(s.bg); err != nil && s.bg.Err() != nil {
			return naming.ErrStorageClosed
		}
		select {
		case <-ch:
		case <-octx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%w: the watch did not reach revision %d within %v", ErrUnavailable, rev, s.timeout)
		}
	}
}
