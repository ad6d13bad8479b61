// Package main is the nsbench command. It measures name server throughput in
// one run: lookups, prefix lists and registrations per second through
// Pyro4's own name server, gyro's on the memory and bolt stores, and gyro's
// on etcd through one and through three name servers sharing one registry
// (an etcd cluster of -members members started from Debian's etcd-server on
// loopback ports).
//
//	cd bench && go run ./cmd/nsbench      # or: make bench-ns
//	cd bench && go run ./cmd/nsbench -d 1s -c 4
//
// Every server runs on 127.0.0.1 and is stopped at the end. The clients
// are Go proxies; with three name servers they are spread over them.
package main
