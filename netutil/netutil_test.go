package netutil

import (
	"context"
	"testing"
)

func TestIPAddress(t *testing.T) {
	tests := []struct {
		host    string
		version int
		want    string
	}{
		{"localhost", 4, "127.0.0.1"},
		{"127.0.0.1", 0, "127.0.0.1"},
		{"::1", 6, "::1"},
	}
	for _, tt := range tests {
		ip, err := IPAddress(context.Background(), tt.host, false, tt.version)
		if err != nil {
			t.Errorf("%s: %v", tt.host, err)
			continue
		}
		if ip.String() != tt.want {
			t.Errorf("IPAddress(%q, v%d) = %s, want %s", tt.host, tt.version, ip, tt.want)
		}
	}
	if _, err := IPAddress(context.Background(), "localhost", false, 5); err == nil {
		t.Error("ip version 5 accepted")
	}
}

func TestInterfaceAddress(t *testing.T) {
	for _, peer := range []string{"127.0.0.1", "::1"} {
		ip, err := InterfaceAddress(peer)
		if err != nil {
			t.Errorf("%s: %v", peer, err)
			continue
		}
		if !ip.IsLoopback() {
			t.Errorf("InterfaceAddress(%s) = %s, want a loopback address", peer, ip)
		}
	}
}
