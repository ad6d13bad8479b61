// Package naming is gyro's name server: Pyro4 4.82's Pyro.NameServer with
// its storage, broadcast responder, locator and PYRONAME:/PYROMETA:
// resolution, compatible with Pyro4 clients, daemons and tools on the
// wire.
//
// # The name server
//
// NameServer is the "Pyro.NameServer" object: register, lookup, remove,
// list, set_metadata, ping and count with Pyro4's parameters (also as
// keywords), results and exception classes and texts, as checked against
// Pyro4's own name server by the interop tests. lookup returns a URI
// (Pyro4.core.URI on the wire), list returns name -> URI string, and with
// return_metadata the tags come as a list: (uri, [tags]). A lock
// serializes writes, so a safe register is atomic.
//
// Three entry points, one per need:
//
//   - StartNS(NSOptions) is the constructor of a name server: the object,
//     its daemon and its broadcast responder, ready for NS.Serve or a
//     foreign loop (NS.Daemon, NS.Broadcast).
//   - StartNSLoop(ctx, NSOptions) is the pyro4-ns (gyro ns) program as a
//     function: StartNS, pyro4-ns's messages, Serve until ctx is done.
//   - NewNameServer(Storage) makes only the Pyro.NameServer object, for
//     a program that registers it in a daemon of its own.
//
// StartNS is Pyro4's startNS: it opens the store, binds an engine.Daemon,
// registers the name server in it and in its own store (with the metadata
// "class:Pyro4.naming.NameServer"; remove never removes that entry), and
// creates a BroadcastServer unless the daemon is on a Unix socket, a
// loopback address or IPv6. NS.Serve runs it; StartNSLoop also prints
// pyro4-ns's messages. Port 0 in NSOptions is a free port, as everywhere
// in gyro: Pyro4's well-known ports are Config.NSPort and Config.NSBCPort.
//
// # Storage
//
// Storage is the interface a store implements (Get, Set, SetMetadata,
// Delete, List by prefix, Iterate, Count, Close), so other backends can be
// added. OpenStorage takes a spec like pyro4-ns -s: "memory" (the default,
// MemoryStorage) or "bolt:<file>" (BoltStorage, an embedded bbolt file,
// fsynced on every write: a registration acknowledged to a client survives
// kill -9). Pyro4's "sql:" and "dbm:" are refused with a pointer to bolt:.
// The etcd store, for several name servers sharing one registry, is
// naming/etcdstore, passed as NSOptions.Store (gyro ns -s etcd:...); a
// store that implements Creator makes a safe register one atomic step
// across processes, and one that implements Leaser takes RegisterLeased
// registrations that vanish when their process dies (the memory and bolt
// stores refuse them with ErrLeasesUnsupported).
// A failing store (full disk, read-only file, closed database) makes the
// call fail with NamingError("storage error in <op>: <cause>"), which wraps
// the cause for errors.Is, and leaves everything stored as it was.
//
// # Differences from Pyro4
//
//   - Names must be non-empty and at most MaxNameLen bytes, and metadata
//     tags must be str (Pyro4 accepts any hashable); both are errors at
//     register and set_metadata.
//   - Regular expressions are RE2, translated from Python's syntax (see
//     below), so a few Python constructs are refused.
//   - Tag lists come sorted (Pyro4: set order) and listings by name
//     (Pyro4: registration order).
//   - NS_AUTOCLEAN probes PYRO registrations only; PYRONAME and PYROMETA
//     entries have no server of their own and are kept.
//   - LocateNS skips a broadcast address it cannot send to and ignores an
//     answer that is no URI, where Pyro4 fails the whole search; Resolve
//     honours PYRONAME:name@./u:<socket>, whose socket Pyro4 ignores.
//
// # Regular expressions
//
// list and remove with regex= match names as Python's re.match does:
// anchored at the start only, so "a" matches "a.one". Patterns are Python
// syntax, translated into Go's RE2:
//
//   - \Z becomes \z, {,n} becomes {0,n}, \uXXXX and \UXXXXXXXX become
//     \x{...}, (?#comment) is dropped, a [ inside a character class is a
//     literal, an escaped non-ASCII character is itself, and $ also matches
//     before a final newline, all as in Python.
//   - \d, \w and \s (and \D, \W, \S outside character classes) are
//     Unicode-aware as in Python 3, or ASCII under the (?a) flag; \b and
//     \B, and \D, \W, \S inside a class, are ASCII-only.
//   - Look-ahead and look-behind, backreferences (\1, (?P=name)),
//     conditionals, atomic groups, possessive quantifiers, \N{...} and the
//     x and L flags do not exist in RE2: such a pattern, like any invalid
//     one, is NamingError("invalid regex: ..."). In exchange no pattern can
//     make the name server backtrack for long: RE2 runs in linear time.
//
// # Broadcast and locating
//
// BroadcastServer answers the 9-byte datagram "GET_NSURI" with the name
// server's URI, as Pyro4's; it runs on its own (Serve) or inside a foreign
// event loop (Sockets and Events, the same small interface as
// engine.Daemon). LocateNS finds a name server in Pyro4's order: an
// explicit host, NS_HOST when it is a loopback name, broadcast to every
// BROADCAST_ADDRS entry (3 rounds of 0.7 s), NS_HOST:NS_PORT; otherwise
// NamingError("Failed to locate the nameserver"). Resolve and Resolver turn
// PYRONAME: and PYROMETA: URIs into PYRO: URIs, for proxy.Options.Resolve.
//
// ServeSimple is Pyro4's Daemon.serveSimple: publish objects (in the name
// server too, with NS) and serve them.
package naming
