package etcdstore_test

import (
	"context"
	"log"
	"time"

	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/naming/etcdstore"
)

// A name server on an etcd cluster: start as many as you like on the same
// endpoints and prefix, and they serve one registry (gyro ns -s etcd:...
// does this).
func Example_nameServer() {
	ctx := context.Background()
	st, err := etcdstore.Open(ctx, etcdstore.Options{
		Endpoints: []string{"http://10.0.0.1:2379", "http://10.0.0.2:2379", "http://10.0.0.3:2379"},
		Prefix:    "/prod/ns/",
	})
	if err != nil {
		log.Fatal(err)
	}
	err = naming.StartNSLoop(ctx, naming.NSOptions{Host: "0.0.0.0", Store: st})
	if err != nil {
		log.Fatal(err)
	}
}

// A Go daemon registers its objects under a lease: if the process dies, the
// names disappear from every name server after the TTL.
func Example_leasedRegistration() {
	ctx := context.Background()
	st, err := etcdstore.Open(ctx, etcdstore.Options{Endpoints: []string{"http://127.0.0.1:2379"}})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close() // revokes the lease: the names go at once
	lease, err := naming.RegisterLeased(ctx, st, 10*time.Second,
		naming.Registration{Name: "example.thing", URI: "PYRO:thing@10.0.0.7:4711", Metadata: []string{"class:Thing"}})
	if err != nil {
		log.Fatal(err)
	}
	select {
	case <-lease.Done():
		log.Print("lease lost (etcd unreachable for longer than the TTL): register again")
	case <-ctx.Done():
	}
}
