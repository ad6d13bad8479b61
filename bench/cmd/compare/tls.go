package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/gyro-rpc/gyro/bench/internal/benchtls"
)

// tlsSuffix names the targets that run a gyro type with TLS on (Pyro's
// SSL_* items); the report gives their rate over the plain type's.
const tlsSuffix = "+tls"

// tlsMin is the TLS/plain rate the targets list asks of each type.
const tlsMin = 0.7

// tlsWorkloads are the workloads whose TLS/plain ratio the report judges:
// one call per read and write, and pipelined calls.
var tlsWorkloads = []string{"32x1 64B serpent", "32 pipelined oneway 64B serpent", "32 pipelined batch 64B serpent"}

// gyroKinds are the gyro server types' targets.
var gyroKinds = []string{"gyro-thread", "gyro-multiplex", "gyro-multicore"}

// clientTLS trusts the CA of the TLS targets' certificates.
var clientTLS *tls.Config

// tlsTargets makes throwaway certificates under dir and returns the TLS
// twins of the gyro types.
func tlsTargets(srvBin, dir string, kinds []string) ([]target, error) {
	certs := filepath.Join(dir, "tls")
	if err := os.Mkdir(certs, 0o700); err != nil {
		return nil, err
	}
	f, err := benchtls.Generate(certs)
	if err != nil {
		return nil, fmt.Errorf("making certificates: %w", err)
	}
	if clientTLS, err = benchtls.ClientConfig(f); err != nil {
		return nil, err
	}
	var out []target
	for _, k := range kinds {
		out = append(out, target{name: k + tlsSuffix, kind: kPyro, cmd: []string{srvBin, "-kind", k, "-tls", certs}})
	}
	return out, nil
}

// dialNet connects to a target, over TLS for the TLS targets, with the
// handshake done before the caller starts timing.
func dialNet(t target, addr string) (net.Conn, error) {
	if !strings.HasSuffix(t.name, tlsSuffix) {
		return net.Dial("tcp", addr)
	}
	return tls.Dial("tcp", addr, clientTLS) // tls.Dial completes the handshake
}

// tlsLines are the targets list's lines of TLS/plain rate ratios per gyro
// type, from vs (a's rate over b's in a workload, 0 when either did not
// run).
func tlsLines(vs func(wl, a, b string) float64, kinds []string) []string {
	var lines []string
	for _, wl := range tlsWorkloads {
		for _, g := range kinds {
			r := vs(wl, g+tlsSuffix, g)
			if r <= 0 {
				continue
			}
			verdict := "met"
			if r < tlsMin {
				verdict = "NOT met"
			}
			lines = append(lines, fmt.Sprintf("- TLS/plain, %s %s: %.2f× the calls/s (≥ %.1f×: %s)", wl, g, r, tlsMin, verdict))
		}
	}
	return lines
}
