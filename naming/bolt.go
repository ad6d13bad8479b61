package naming

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BoltStorage keeps registrations in a bbolt file (go.etcd.io/bbolt): a
// single-file, transactional, copy-on-write B+tree with no server. Every
// write is one transaction that is fsynced before Set, SetMetadata or
// Delete returns, so a registration the name server acknowledged survives
// kill -9 and power loss, and a write that fails (full disk, read-only
// file, closed store) rolls back without touching what was stored.
//
// Names are the keys of one bucket, in byte order, so prefix listings are a
// cursor seek. The file is locked while open: a second name server on the
// same file waits BoltOptions.Timeout and then fails.
type BoltStorage struct {
	db *bolt.DB

	mu    sync.Mutex // guards count across write transactions
	count int
}

// BoltOptions configure OpenBolt.
type BoltOptions struct {
	// Timeout bounds the wait for the file lock held by another process;
	// 0 means 1 s.
	Timeout time.Duration
	// ReadOnly opens the file for reading only (it must exist); every
	// write then fails and changes nothing.
	ReadOnly bool
}

var (
	bucketNames = []byte("names")
	bucketMeta  = []byte("meta")
	keyVersion  = []byte("version")
)

// boltFormat is the record format version, stored in the meta bucket.
const boltFormat = 1

// OpenBolt opens (or creates) the bbolt file at path.
func OpenBolt(path string, opts BoltOptions) (*BoltStorage, error) {
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = time.Second
	}
	var s *BoltStorage
	err := noPanic(func() (err error) {
		s, err = openBolt(path, timeout, opts.ReadOnly)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("naming: open bolt storage %s: %w", path, err)
	}
	return s, nil
}

// ErrCorruptStore is matched by the error of OpenBolt on a file bbolt
// cannot read: damaged pages make bbolt panic, and OpenBolt turns that
// into this error, checking every page once at open so that a damaged
// store is found there rather than by a lookup later.
var ErrCorruptStore = errors.New("damaged bolt file")

// noPanic runs fn, turning a panic (bbolt's reaction to damaged pages)
// into ErrCorruptStore.
func noPanic(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorruptStore, r)
		}
	}()
	return fn()
}

func openBolt(path string, timeout time.Duration, readOnly bool) (s *BoltStorage, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: readOnly})
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			db.Close()
			panic(r)
		}
	}()
	s = &BoltStorage{db: db}
	err = db.View(func(tx *bolt.Tx) (first error) {
		for err := range tx.Check() { // drained: the checker blocks on sending
			if first == nil {
				first = fmt.Errorf("%w: %w", ErrCorruptStore, err)
			}
		}
		return first
	})
	if err == nil && !readOnly {
		err = db.Update(func(tx *bolt.Tx) error {
			if _, err := tx.CreateBucketIfNotExists(bucketNames); err != nil {
				return err
			}
			meta, err := tx.CreateBucketIfNotExists(bucketMeta)
			if err != nil {
				return err
			}
			return checkFormat(meta, true)
		})
	} else if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			meta := tx.Bucket(bucketMeta)
			if meta == nil || tx.Bucket(bucketNames) == nil {
				return errors.New("not a gyro name server store")
			}
			return checkFormat(meta, false)
		})
	}
	if err == nil {
		err = db.View(func(tx *bolt.Tx) error {
			s.count = tx.Bucket(bucketNames).Stats().KeyN
			return nil
		})
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func checkFormat(meta *bolt.Bucket, write bool) error {
	v := meta.Get(keyVersion)
	if v == nil {
		if !write {
			return errors.New("not a gyro name server store")
		}
		return meta.Put(keyVersion, []byte{boltFormat})
	}
	if len(v) != 1 || v[0] != boltFormat {
		return fmt.Errorf("unsupported store format %v", v)
	}
	return nil
}

// DB returns the underlying bbolt database, for backups (tx.WriteTo) and
// inspection. Do not write to it while a name server uses it.
func (s *BoltStorage) DB() *bolt.DB { return s.db }

// Get implements Storage.
func (s *BoltStorage) Get(_ context.Context, name string) (r Registration, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketNames).Get([]byte(name))
		if v == nil {
			return nil
		}
		ok = true
		r, err = decodeRecord(name, v)
		return err
	})
	return r, ok, err
}

// Set implements Storage.
func (s *BoltStorage) Set(_ context.Context, r Registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNames)
		key := []byte(r.Name)
		if b.Get(key) == nil {
			added = 1
		}
		return b.Put(key, encodeRecord(r))
	})
	if err == nil {
		s.count += added
	}
	return err
}

// SetMetadata implements Storage.
func (s *BoltStorage) SetMetadata(_ context.Context, name string, tags []string) (found bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNames)
		v := b.Get([]byte(name))
		if v == nil {
			return nil
		}
		found = true
		r, err := decodeRecord(name, v)
		if err != nil {
			return err
		}
		r.Metadata = tags
		return b.Put([]byte(name), encodeRecord(r))
	})
	return found && err == nil, err
}

// Delete implements Storage.
func (s *BoltStorage) Delete(_ context.Context, names ...string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketNames)
		for _, name := range names {
			key := []byte(name)
			if b.Get(key) == nil {
				continue
			}
			if err := b.Delete(key); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	s.count -= n
	return n, nil
}

// List implements Storage.
func (s *BoltStorage) List(_ context.Context, prefix string) ([]Registration, error) {
	var out []Registration
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketNames).Cursor()
		p := []byte(prefix)
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			r, err := decodeRecord(string(k), v)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Iterate implements Storage. fn runs inside a read transaction.
func (s *BoltStorage) Iterate(_ context.Context, fn func(Registration) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketNames).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			r, err := decodeRecord(string(k), v)
			if err != nil {
				return err
			}
			if !fn(r) {
				return nil
			}
		}
		return nil
	})
}

// Count implements Storage.
func (s *BoltStorage) Count(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// a closed database must fail here too, as every other call does
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return 0, err
	}
	return s.count, nil
}

// Close implements Storage.
func (s *BoltStorage) Close() error { return s.db.Close() }

// encodeRecord writes a registration's value: uvarint-prefixed URI, tag
// count and tags. The name is the key.
func encodeRecord(r Registration) []byte {
	n := binary.MaxVarintLen64 * (2 + len(r.Metadata))
	n += len(r.URI)
	for _, t := range r.Metadata {
		n += len(t)
	}
	buf := make([]byte, 0, n)
	buf = binary.AppendUvarint(buf, uint64(len(r.URI)))
	buf = append(buf, r.URI...)
	buf = binary.AppendUvarint(buf, uint64(len(r.Metadata)))
	for _, t := range r.Metadata {
		buf = binary.AppendUvarint(buf, uint64(len(t)))
		buf = append(buf, t...)
	}
	return buf
}

// decodeRecord reads encodeRecord's format; it copies, since bbolt's
// memory is only valid inside the transaction.
func decodeRecord(name string, v []byte) (Registration, error) {
	r := Registration{Name: name}
	str := func() (string, bool) {
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)-k) {
			return "", false
		}
		s := string(v[k : k+int(n)])
		v = v[k+int(n):]
		return s, true
	}
	var ok bool
	if r.URI, ok = str(); !ok {
		return r, fmt.Errorf("corrupt record for name %q", name)
	}
	cnt, k := binary.Uvarint(v)
	if k <= 0 || cnt > uint64(len(v)) {
		return r, fmt.Errorf("corrupt record for name %q", name)
	}
	v = v[k:]
	if cnt > 0 {
		r.Metadata = make([]string, 0, cnt)
	}
	for range cnt {
		t, ok := str()
		if !ok {
			return r, fmt.Errorf("corrupt record for name %q", name)
		}
		r.Metadata = append(r.Metadata, t)
	}
	if len(v) != 0 {
		return r, fmt.Errorf("corrupt record for name %q", name)
	}
	return r, nil
}
