package netutil

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
)

// outsideV4 and outsideV6 are the well-known public resolvers Pyro4 asks
// the routing table about for the 127.x workaround; connecting a UDP
// socket sends no packet, it only picks the route.
const (
	outsideV4 = "4.2.2.2"
	outsideV6 = "2001:4860:4860::8888"
)

// IPAddress returns the IP address of hostname ("" means this machine's
// name), as Pyro4's getIpAddress does. ipVersion 4 or 6 restricts the
// family; 0 takes the first address. With workaround127, a loopback result
// (Debian maps the hostname to 127.0.1.1) is replaced by the address of the
// interface that routes to the outside world, so a daemon bound to it is
// reachable from other machines.
func IPAddress(ctx context.Context, hostname string, workaround127 bool, ipVersion int) (net.IP, error) {
	if hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("netutil: %w", err)
		}
		hostname = h
	}
	network := "ip"
	switch ipVersion {
	case 4:
		network = "ip4"
	case 6:
		network = "ip6"
	case 0:
	default:
		return nil, fmt.Errorf("netutil: invalid ip version %d", ipVersion)
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, network, hostname)
	if err != nil {
		return nil, fmt.Errorf("netutil: %w", err)
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("netutil: no address for %q", hostname)
	}
	ip := ips[0]
	if workaround127 && ip.IsLoopback() {
		outside := outsideV4
		if ip.To4() == nil {
			outside = outsideV6
		}
		return InterfaceAddress(outside)
	}
	return ip, nil
}

// InterfaceAddress returns the address of the local interface that the
// routing table uses to reach peer (an IP address), as Pyro4's
// getInterfaceAddress does. The broadcast server uses it to answer with an
// address the requester can reach. No packet is sent.
func InterfaceAddress(peer string) (net.IP, error) {
	network := "udp4"
	if strings.Contains(peer, ":") {
		network = "udp6"
	}
	c, err := net.Dial(network, net.JoinHostPort(peer, "53"))
	if err != nil {
		return nil, fmt.Errorf("netutil: %w", err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP, nil
}
