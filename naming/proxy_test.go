package naming

import (
	"testing"

	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
)

// testProxy returns a proxy for u, closed when the test ends.
func testProxy(t testing.TB, u pyval.URI, opts proxy.Options) *proxy.Proxy {
	t.Helper()
	p, err := proxy.New(u.String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}
