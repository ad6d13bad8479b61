// Package fdcount counts the process's open descriptors, for the tests that
// check that a daemon, a loop or a combined loop leaves none behind.
package fdcount
