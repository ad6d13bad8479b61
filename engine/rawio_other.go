//go:build !unix

package engine

import (
	"io"
	"net"
)

// plainIO returns what the thread type reads and writes for a connection
// without TLS: the connection itself.
func plainIO(nc net.Conn) io.ReadWriter { return nc }
