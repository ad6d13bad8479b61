package naming

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// stores returns one fresh store of every kind, for conformance tests.
func stores(t *testing.T) map[string]Storage {
	t.Helper()
	b, err := OpenBolt(filepath.Join(t.TempDir(), "ns.db"), BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return map[string]Storage{"memory": NewMemoryStorage(), "bolt": b}
}

func names(regs []Registration) []string {
	out := make([]string, len(regs))
	for i, r := range regs {
		out[i] = r.Name
	}
	return out
}

// TestStorageConformance runs the Storage contract against every store.
func TestStorageConformance(t *testing.T) {
	ctx := context.Background()
	for kind, st := range stores(t) {
		t.Run(kind, func(t *testing.T) {
			for _, r := range []Registration{
				{Name: "b.two", URI: "PYRO:b2@h:2", Metadata: []string{"x", "y"}},
				{Name: "a.one", URI: "PYRO:a1@h:1"},
				{Name: "b.one", URI: "PYRO:b1@h:3", Metadata: []string{"y"}},
				{Name: "bb", URI: "PYRO:bb@h:4"},
				{Name: "é.unicode", URI: "PYRO:u@h:5"},
			} {
				if err := st.Set(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := st.Count(ctx); err != nil || n != 5 {
				t.Fatalf("Count = %d, %v", n, err)
			}
			r, ok, err := st.Get(ctx, "b.two")
			if err != nil || !ok || r.URI != "PYRO:b2@h:2" || !reflect.DeepEqual(r.Metadata, []string{"x", "y"}) {
				t.Errorf("Get(b.two) = %+v, %v, %v", r, ok, err)
			}
			if _, ok, err := st.Get(ctx, "nope"); ok || err != nil {
				t.Errorf("Get(nope) = %v, %v", ok, err)
			}
			for prefix, want := range map[string][]string{
				"":   {"a.one", "b.one", "b.two", "bb", "é.unicode"},
				"b.": {"b.one", "b.two"},
				"b":  {"b.one", "b.two", "bb"},
				"é":  {"é.unicode"},
				"z":  {},
			} {
				regs, err := st.List(ctx, prefix)
				if err != nil || !reflect.DeepEqual(names(regs), want) {
					t.Errorf("List(%q) = %q, %v; want %q", prefix, names(regs), err, want)
				}
			}
			var seen []string
			if err := st.Iterate(ctx, func(r Registration) bool {
				seen = append(seen, r.Name)
				return len(seen) < 3
			}); err != nil || !reflect.DeepEqual(seen, []string{"a.one", "b.one", "b.two"}) {
				t.Errorf("Iterate stopped after %q, %v", seen, err)
			}
			// replacing keeps the count, and replaces the tags
			if err := st.Set(ctx, Registration{Name: "bb", URI: "PYRO:bb2@h:4", Metadata: []string{"z"}}); err != nil {
				t.Fatal(err)
			}
			if n, _ := st.Count(ctx); n != 5 {
				t.Errorf("Count after replace = %d", n)
			}
			if found, err := st.SetMetadata(ctx, "a.one", []string{"t"}); !found || err != nil {
				t.Errorf("SetMetadata(a.one) = %v, %v", found, err)
			}
			if found, err := st.SetMetadata(ctx, "nope", []string{"t"}); found || err != nil {
				t.Errorf("SetMetadata(nope) = %v, %v", found, err)
			}
			if r, _, _ := st.Get(ctx, "a.one"); !reflect.DeepEqual(r.Metadata, []string{"t"}) {
				t.Errorf("after SetMetadata: %+v", r)
			}
			if found, _ := st.SetMetadata(ctx, "a.one", nil); !found {
				t.Error("clearing tags failed")
			}
			if r, _, _ := st.Get(ctx, "a.one"); len(r.Metadata) != 0 {
				t.Errorf("after clearing: %+v", r)
			}
			if n, err := st.Delete(ctx, "b.one", "nope", "bb"); n != 2 || err != nil {
				t.Errorf("Delete = %d, %v", n, err)
			}
			if n, _ := st.Count(ctx); n != 3 {
				t.Errorf("Count after delete = %d", n)
			}
			if regs, _ := st.List(ctx, "b"); !reflect.DeepEqual(names(regs), []string{"b.two"}) {
				t.Errorf("List(b) after delete = %q", names(regs))
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			for op, call := range map[string]func() error{
				"Get":         func() error { _, _, err := st.Get(ctx, "a.one"); return err },
				"Set":         func() error { return st.Set(ctx, Registration{Name: "x", URI: "PYRO:x@h:1"}) },
				"SetMetadata": func() error { _, err := st.SetMetadata(ctx, "a.one", nil); return err },
				"Delete":      func() error { _, err := st.Delete(ctx, "a.one"); return err },
				"List":        func() error { _, err := st.List(ctx, ""); return err },
				"Iterate":     func() error { return st.Iterate(ctx, func(Registration) bool { return true }) },
				"Count":       func() error { _, err := st.Count(ctx); return err },
			} {
				if err := call(); err == nil {
					t.Errorf("%s after Close succeeded", op)
				}
			}
		})
	}
}

// TestBoltPersists reopens a bolt file and finds everything written.
func TestBoltPersists(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ns.db")
	st, err := OpenBolt(path, BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Registration{
		{Name: "a", URI: "PYRO:a@h:1", Metadata: []string{"m1", "m2"}},
		{Name: "b", URI: "PYRO:b@h:2"},
	}
	for _, r := range want {
		if err := st.Set(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// a second opener waits for the lock and gives up
	if _, err := OpenBolt(path, BoltOptions{Timeout: 50e6}); !errors.Is(err, bolt.ErrTimeout) {
		t.Errorf("second open: %v, want ErrTimeout", err)
	}
	st.Close()
	st, err = OpenBolt(path, BoltOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.List(ctx, "")
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("after reopen: %+v, %v", got, err)
	}
	if n, _ := st.Count(ctx); n != 2 {
		t.Errorf("Count after reopen = %d", n)
	}
}

func TestOpenStorage(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec    string
		kind    string // type name, or "" for an error
		errText string
	}{
		{"", "*naming.MemoryStorage", ""},
		{"memory", "*naming.MemoryStorage", ""},
		{"bolt:" + filepath.Join(dir, "x.db"), "*naming.BoltStorage", ""},
		{"bolt:", "", "invalid storage type 'bolt:' (use memory or bolt:<file>)"},
		{"sql:ns.sqlite", "", "invalid storage type 'sql:ns.sqlite': Pyro4's sql storage is not available in gyro; use bolt:ns.sqlite"},
		{"dbm:ns.dbm", "", "invalid storage type 'dbm:ns.dbm': Pyro4's dbm storage is not available in gyro; use bolt:ns.dbm"},
		{"redis:x", "", "invalid storage type 'redis:x'"},
		{"etcd:http://127.0.0.1:2379", "", "invalid storage type 'etcd:http://127.0.0.1:2379': etcd storage is opened by naming/etcdstore"},
		{"bolt:" + filepath.Join(dir, "no", "such", "dir.db"), "", "open bolt storage"},
	} {
		st, err := OpenStorage(tc.spec)
		if tc.kind == "" {
			if err == nil || !strings.Contains(err.Error(), tc.errText) {
				t.Errorf("OpenStorage(%q) error %v, want %q", tc.spec, err, tc.errText)
			}
			continue
		}
		if err != nil {
			t.Errorf("OpenStorage(%q): %v", tc.spec, err)
			continue
		}
		if got := reflect.TypeOf(st).String(); got != tc.kind {
			t.Errorf("OpenStorage(%q) is %s, want %s", tc.spec, got, tc.kind)
		}
		st.Close()
	}
}

// TestBoltRecordFormat round-trips records and refuses corrupt ones.
func TestBoltRecordFormat(t *testing.T) {
	for _, r := range []Registration{
		{Name: "n", URI: ""},
		{Name: "n", URI: "PYRO:x@h:1", Metadata: []string{"", "é", strings.Repeat("t", 300)}},
	} {
		got, err := decodeRecord(r.Name, encodeRecord(r))
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("round trip %+v: %+v, %v", r, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {5, 'a'}, {1, 'a', 2}, {1, 'a', 1, 3, 'x'}, {1, 'a', 0, 'x'}} {
		if _, err := decodeRecord("n", bad); err == nil {
			t.Errorf("decodeRecord(%v) accepted", bad)
		}
	}
}
