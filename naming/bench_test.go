package naming

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// benchStores returns a fresh store of each kind, filled with n names
// ("svc.0" ... ) with one tag each.
func benchStores(b *testing.B, n int) map[string]*NameServer {
	b.Helper()
	bst, err := OpenBolt(filepath.Join(b.TempDir(), "bench.db"), BoltOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bst.Close() })
	out := map[string]*NameServer{"memory": NewNameServer(nil), "bolt": NewNameServer(bst)}
	ctx := context.Background()
	for _, ns := range out {
		for i := range n {
			s := strconv.Itoa(i)
			if err := ns.Register(ctx, "svc."+s, "PYRO:obj"+s+"@127.0.0.1:5000", nil, []any{"tag" + strconv.Itoa(i%10)}); err != nil {
				b.Fatal(err)
			}
		}
	}
	return out
}

// BenchmarkNameServer measures the remote methods as the daemon calls
// them, without the wire: register (fsynced per call on bolt), lookup, and
// list by prefix, by metadata and of everything, over 1000 names.
func BenchmarkNameServer(b *testing.B) {
	ctx := context.Background()
	for _, kind := range []string{"memory", "bolt"} {
		ns := benchStores(b, 1000)[kind]
		b.Run(kind+"/register", func(b *testing.B) {
			b.ReportAllocs()
			var metas [10][]any // the tags the names already have
			for i := range metas {
				metas[i] = []any{"tag" + strconv.Itoa(i)}
			}
			for i := 0; b.Loop(); i++ {
				// replaces a name: the set listed below stays as it was
				if err := ns.Register(ctx, "svc."+strconv.Itoa(i%1000), "PYRO:obj@127.0.0.1:5000", nil, metas[i%10]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind+"/lookup", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ns.Lookup(ctx, "svc.500", nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind+"/list-prefix", func(b *testing.B) { // 111 of 1000 names
			b.ReportAllocs()
			for b.Loop() {
				if d, err := ns.List(ctx, "svc.1", nil, nil, nil, nil); err != nil || d.Len() != 111 {
					b.Fatal(d.Len(), err)
				}
			}
		})
		b.Run(kind+"/list-metadata", func(b *testing.B) { // 100 of 1000 names
			b.ReportAllocs()
			tags := []any{"tag3"}
			for b.Loop() {
				if _, err := ns.List(ctx, nil, nil, tags, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(kind+"/list-all", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ns.List(ctx, nil, nil, nil, nil, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
