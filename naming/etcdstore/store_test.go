package etcdstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/internal/etcdtest"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/naming/etcdstore"
)

// testTimeout is the stores' request bound in tests: short, so the
// failure tests end quickly, yet far above a loopback round trip.
const testTimeout = time.Second

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(leasedDaemon())
	}
	os.Exit(m.Run())
}

// open opens a store on the cluster with a per-test prefix, closed when
// the test ends.
func open(t *testing.T, eps []string, prefix string) *etcdstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := etcdstore.Open(ctx, etcdstore.Options{Endpoints: eps, Prefix: prefix, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func names(t *testing.T, s naming.Storage, prefix string) []string {
	t.Helper()
	regs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	var out []string
	for _, r := range regs {
		out = append(out, r.Name)
	}
	return out
}

// TestStorageContract runs the naming.Storage contract on etcd, and the
// visibility rules between two stores on one registry.
func TestStorageContract(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ctx := context.Background()
	a := open(t, c.Endpoints(), "/t/contract/")
	b := open(t, c.Endpoints(), "/t/contract/")
	other := open(t, c.Endpoints(), "/t/other/")

	reg := func(name, uri string, tags ...string) naming.Registration {
		return naming.Registration{Name: name, URI: uri, Metadata: tags}
	}
	if err := a.Set(ctx, reg("app.one", "PYRO:one@localhost:1", "red")); err != nil {
		t.Fatal(err)
	}
	// read-your-writes: the writer lists its write at once
	if got := names(t, a, ""); !slices.Equal(got, []string{"app.one"}) {
		t.Errorf("writer lists %v right after Set", got)
	}
	// linearizable lookups: the other store finds it at once
	r, ok, err := b.Get(ctx, "app.one")
	if err != nil || !ok || r.URI != "PYRO:one@localhost:1" || !slices.Equal(r.Metadata, []string{"red"}) {
		t.Errorf("other store Get = %+v, %v, %v", r, ok, err)
	}
	if err := b.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := names(t, b, "app."); !slices.Equal(got, []string{"app.one"}) {
		t.Errorf("other store lists %v after Sync", got)
	}
	if got := names(t, other, ""); len(got) != 0 {
		t.Errorf("a store on another prefix lists %v", got)
	}

	created, err := b.Create(ctx, reg("app.one", "PYRO:two@localhost:2"))
	if err != nil || created {
		t.Errorf("Create of a taken name = %v, %v; want false", created, err)
	}
	created, err = b.Create(ctx, reg("app.two", "PYRO:two@localhost:2"))
	if err != nil || !created {
		t.Errorf("Create of a free name = %v, %v; want true", created, err)
	}
	found, err := a.SetMetadata(ctx, "app.two", []string{"blue", "green"})
	if err != nil || !found {
		t.Errorf("SetMetadata = %v, %v", found, err)
	}
	if r, _, _ := a.Get(ctx, "app.two"); !slices.Equal(r.Metadata, []string{"blue", "green"}) {
		t.Errorf("tags after SetMetadata: %v", r.Metadata)
	}
	if found, err := a.SetMetadata(ctx, "nope", nil); err != nil || found {
		t.Errorf("SetMetadata of an unknown name = %v, %v", found, err)
	}
	if err := a.Set(ctx, reg("zzz", "PYRO:z@localhost:3")); err != nil {
		t.Fatal(err)
	}
	if got := names(t, a, "app."); !slices.Equal(got, []string{"app.one", "app.two"}) {
		t.Errorf("List(app.) = %v", got)
	}
	var seen []string
	if err := a.Iterate(ctx, func(r naming.Registration) bool { seen = append(seen, r.Name); return len(seen) < 2 }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(seen, []string{"app.one", "app.two"}) {
		t.Errorf("Iterate stopped after %v", seen)
	}
	if n, err := a.Count(ctx); err != nil || n != 3 {
		t.Errorf("Count = %d, %v", n, err)
	}
	n, err := a.Delete(ctx, "app.one", "app.two", "nope")
	if err != nil || n != 2 {
		t.Errorf("Delete = %d, %v; want 2", n, err)
	}
	if got := names(t, a, ""); !slices.Equal(got, []string{"zzz"}) {
		t.Errorf("after Delete: %v", got)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Get(ctx, "zzz"); !errors.Is(err, naming.ErrStorageClosed) {
		t.Errorf("Get after Close: %v", err)
	}
	if _, err := a.List(ctx, ""); !errors.Is(err, naming.ErrStorageClosed) {
		t.Errorf("List after Close: %v", err)
	}
}

// TestDeleteManyNames removes more names than one transaction may hold.
func TestDeleteManyNames(t *testing.T) {
	c := etcdtest.Start(t, 1)
	ctx := context.Background()
	s := open(t, c.Endpoints(), "/t/many/")
	var all []string
	for i := range 250 {
		name := fmt.Sprintf("n%03d", i)
		all = append(all, name)
		if err := s.Set(ctx, naming.Registration{Name: name, URI: "PYRO:x@localhost:1"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Delete(ctx, all...); err != nil || n != 250 {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	if n, _ := s.Count(ctx); n != 0 {
		t.Errorf("Count after Delete = %d", n)
	}
}

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want []string
		err  string
	}{
		{"etcd:http://127.0.0.1:2379", []string{"http://127.0.0.1:2379"}, ""},
		{"etcd:http://a:1,https://b:2", []string{"http://a:1", "https://b:2"}, ""},
		{"etcd:", nil, "invalid storage type 'etcd:' (use etcd:http://host:port[,http://host2:port...])"},
		{"etcd:127.0.0.1:2379", nil, `invalid storage type 'etcd:127.0.0.1:2379': endpoint "127.0.0.1:2379" is not an http:// or https:// URL`},
	} {
		got, err := etcdstore.ParseSpec(tc.spec)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err || !errors.Is(err, naming.ErrInvalidStorage) {
				t.Errorf("ParseSpec(%q) error %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseSpec(%q) = %v, %v", tc.spec, got, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	// port 1 on loopback: nothing listens there
	_, err := etcdstore.Open(ctx, etcdstore.Options{Endpoints: []string{"http://127.0.0.1:1"}, Timeout: 500 * time.Millisecond})
	if !errors.Is(err, etcdstore.ErrUnavailable) {
		t.Fatalf("Open of a dead endpoint: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v to fail", d)
	}
}
