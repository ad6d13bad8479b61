// Package servetest runs a daemon or name server for the length of a test,
// for the tests of packages built on the engine.
package servetest
