//go:build !unix

package main

// raiseNoFile does nothing where there is no descriptor limit to raise.
func raiseNoFile() {}
