// Package testcerts makes throw-away X.509 material for tests: a CA, a
// server certificate for the loopback names, a client certificate, and a
// second unrelated CA with its own certificates, written as PEM files to
// the test's temporary directory.
//
// Keys are made fresh for every test and never committed: a private key in
// the repository would be trusted by someone eventually.
package testcerts
