// Package readme holds the test that keeps README.md's Go snippets true:
// each one is a region of an example_test.go file, which the compiler
// checks (and go test runs, for Examples with output).
package readme
