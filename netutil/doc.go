// Package netutil holds the address helpers of Pyro4's socketutil that the
// "Servers" chapter points to for choosing what a daemon binds: the IP
// address of a hostname (with Pyro4's 127.x workaround) and the local
// interface address that routes to a given peer.
package netutil
