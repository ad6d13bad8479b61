package gyrotls_test

import (
	"errors"
	"log/slog"
	"net"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/gyrotls"
)

// A reactor's use of a Session, one per accepted connection. wakeLoop
// stands for the loop's own wakeup (an eventfd write); the handlers are
// what the loop calls on readiness and on that wakeup.
func ExampleNewServerSession() {
	c, err := config.FromEnv() // PYRO_SSL_SERVERCERT, PYRO_SSL_SERVERKEY, ...
	if err != nil {
		slog.Error("config", "err", err)
		return
	}
	cfg, err := gyrotls.ServerConfig(c)
	if err != nil {
		slog.Error("TLS off", "err", err) // names the item and the file
		return
	}
	if err := gyrotls.CheckHost(cfg, c.Host); err != nil {
		slog.Warn("clients will refuse this server's URIs", "err", err)
	}

	var conn net.Conn          // the accepted socket, non-blocking in a real reactor
	wakeLoop := func() {}      // must not block
	deliver := func([]byte) {} // the protocol session's input
	s := gyrotls.NewServerSession(cfg, gyrotls.SessionOptions{Notify: wakeLoop})
	defer s.Close()

	plain := make([]byte, 16<<10)
	drain := func() error { // after Feed and after every wakeup
		for {
			n, err := s.ReadPlain(plain)
			deliver(plain[:n])
			if errors.Is(err, gyrotls.ErrWouldBlock) {
				break
			}
			if err != nil {
				return err // io.EOF: the peer closed cleanly
			}
		}
		_, err := conn.Write(s.Output(nil)) // or keep it for write readiness
		return err
	}
	onReadable := func(ciphertext []byte) error {
		if _, err := s.Feed(ciphertext); err != nil {
			return err // ErrBufferFull: stop reading the socket, drain first
		}
		return drain()
	}
	_, _ = onReadable, drain
}
