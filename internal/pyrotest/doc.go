// Package pyrotest runs the real Pyro4 (4.82, installed for the system
// python3 only) from Go tests, so interop tests talk to the reference
// implementation instead of a model of it.
//
// Python reports the interpreter or skips the test when Pyro4 is missing;
// under CI (CI=true) or with GYRO_REQUIRE_PYRO4=1 it fails instead, so a CI
// run can never pass by silently skipping every interop test. Run executes a
// short script and returns its output; Start runs a long-lived server, waits
// until it prints a line that says it is ready (the URI, typically), and
// kills it when the test ends.
//
// SSLFiles, SSLClientProbe and StartSSLServer run Pyro4's TLS layer (its
// getSSLcontext and createSocket, driven by PYRO_SSL* items) against
// gyro's, in both directions.
//
// Servers bind port 0 and report the port in their URI; the helpers never
// pick "free" ports, which would race with other tests.
package pyrotest
