// Package etcdstore is a naming.Storage on etcd (go.etcd.io/etcd/client/v3,
// checked against etcd 3.4 servers): several gyro name servers on one etcd
// cluster serve one registry, with no single point of failure. It lives in
// its own package so that a program using only the memory or bolt store
// does not link the etcd client; gyro ns links it for -s etcd:URL[,URL...].
//
// # Keys and consistency
//
// A registration is the key Prefix+name (DefaultPrefix "/gyro/ns/";
// several registries can share a cluster under different prefixes) with a
// small JSON value holding the URI and the tags.
//
//   - Lookups (Get) are linearizable reads from etcd: a name registered
//     through one name server is found through every other at once.
//   - Writes go to etcd: a safe register is a compare-and-create
//     transaction (Create), so of several name servers racing for a name
//     exactly one wins; set_metadata is a compare-and-swap on the
//     registration's revision, retried; a remove of several names is one
//     transaction (up to 100 names; more go in batches of 100).
//   - Listings by prefix, regex or metadata, and Count, come from a cache
//     that a watch on the prefix keeps current, so list does not range
//     over etcd on every call. A write returns only once the watch has
//     brought it into the cache, so the name server that wrote lists what
//     it wrote; another name server lists it as soon as its watch delivers
//     it (normally within milliseconds).
//
// # Failure behaviour
//
// Every request to etcd is bounded by Options.Timeout (DefaultTimeout).
// When etcd cannot answer (unreachable, no quorum) lookups and writes fail
// within that bound with an error wrapping ErrUnavailable, which the name
// server reports to its clients as NamingError("storage error in <op>:
// etcd unavailable: ..."); a write that fails changes nothing. Listings
// are answered from the cache only while etcd has answered within the
// last Timeout (a health probe asks it every quarter of that while the
// registry is idle); after that they fail the same way rather than give a
// stale answer. When etcd comes back, the watch resumes (or, when the
// revisions it missed were compacted, the cache is reloaded) and the name
// server serves again without a restart. Losing a minority of a cluster's
// members is invisible: the client fails over to another endpoint.
//
// # Leases
//
// RegisterLeased (through naming.RegisterLeased) puts registrations under
// an etcd lease that this process keeps alive: when it dies the names
// vanish by themselves after the TTL, from every name server. Pyro4
// clients see ordinary registrations, and what they register stays until
// removed, as in Pyro4; registering a leased name again makes it
// permanent. If etcd is unreachable for longer than the TTL the lease is
// lost and Lease.Done is closed: register again to come back.
package etcdstore
