//go:build !unix

package multicore

import "errors"

// errNoDirectWrite sends every reply through gnet's AsyncWrite where
// workers cannot write to the socket themselves.
var errNoDirectWrite = errors.New("multicore: no direct write on this system")

func writeNow(int, []byte) (int, error) { return 0, errNoDirectWrite }

func wouldBlock(err error) bool { return err == errNoDirectWrite }
