// Package main is the gyro command. It runs gyro's servers and tools from the command line, with
// the options and output of their Pyro4 counterparts:
//
//	gyro echoserver [-H host] [-p port] [-u unixsocket] [-n] [-N] [-v] [-q] [-k key]
//	gyro ns [-n host] [-p port] [-u unixsocket] [-s storage] [--bchost host] [--bcport port]
//	        [--nathost host] [--natport port] [-x] [-k key]
//	gyro nsc [-n host] [-p port] [-u unixsocket] [-k key] [-v] command [arguments]
//	gyro bench serve [-H host] [-p port] [-u unixsocket] [-t servertype]
//
// bench serve publishes the object of Pyro4's benchmark example as
// "example.benchmark", so Pyro4's unchanged benchmark/client.py runs
// against gyro.
//
// echoserver serves the test object "test.echoserver" exactly as Pyro4's
// pyro4-test-echoserver does; -n registers it with the name server that
// Pyro4's locateNS would find, and -N first starts a name server of its own
// on the same host at NS_PORT.
//
// ns is pyro4-ns: a name server on -n/-p (default HOST and NS_PORT,
// localhost:9090; -p 0 picks a free port), or on a Unix socket with -u,
// with a broadcast responder on --bchost/--bcport (all interfaces, 9091)
// unless -x is given or the server is on a loopback address, a socket or
// IPv6. -s selects the store: "memory" (the default) or "bolt:<file>", a
// persistent bbolt file; Pyro4's "sql:" and "dbm:" are not available.
// Ctrl-C or SIGTERM shuts it down cleanly.
//
// nsc is pyro4-nsc, with its commands ping, list [prefix], listmatching
// regex, listmeta_all tags, listmeta_any tags, lookup name, register name
// uri, remove name, removematching regex (after a y/n question on stdin)
// and setmeta name [tags], and its output. It finds the name server as
// Pyro4's locateNS does, so -p without -n is the broadcast port. As in
// Pyro4, a failed command prints "Error: <class> - <message>" and still
// exits 0.
//
// Configuration comes from Pyro4's PYRO_* environment variables;
// PYRO_HMAC_KEY sets the HMAC key (-k does too, but is deprecated).
// Unlike pyro4-ns, gyro ns refuses stray arguments.
package main
