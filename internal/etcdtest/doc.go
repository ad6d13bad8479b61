// Package etcdtest runs real etcd members (Debian's etcd-server, 3.4) on
// loopback ports for tests (Start) and benchmarks (Launch): a single member
// or a small cluster, with members that can be killed and restarted on
// their data.
//
// A test is skipped when the etcd binary is missing, unless CI=true or
// GYRO_REQUIRE_ETCD=1 (which make test sets), so a CI run cannot pass by
// skipping. etcd needs its ports before it starts (peers must know each
// other), so the helper takes ports the kernel just handed out and retries
// with new ones if etcd cannot bind them.
package etcdtest
