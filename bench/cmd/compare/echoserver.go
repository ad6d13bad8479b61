package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// Pyro4's test echo server (Pyro4.test.echoserver, pyro4-test-echoserver)
// and `gyro echoserver` serve the object test.echoserver, whose
// oneway_echo is a oneway method: the oneway_echo workload calls it, with
// ONEWAY_THREADED on as both servers have it by default, so every oneway
// call runs on a thread (Pyro4) or goroutine (gyro) of its own.
const (
	echoObj      = "test.echoserver"
	echoPrefix   = "gyro-echoserver-"
	pyro4Echo    = "pyro4-echoserver"
	echoReadyURI = "echo uri: " // the echo servers' line that gives their URI
)

// onewayEchoWorkload is the name of the workload that pipelines
// oneway_echo calls.
const onewayEchoWorkload = "32 pipelined oneway_echo 64B serpent"

// echoTargets returns Pyro4's test echo server (when python has Pyro4)
// and `gyro echoserver` on every server type, gyroBin being the gyro
// command. Both run with their flags for host and port; Pyro4's forces
// the multiplex server type, gyro's takes -t.
func echoTargets(gyroBin string, withPyro4 bool) []target {
	var ts []target
	for _, st := range []string{"thread", "multiplex", "multicore"} {
		ts = append(ts, target{name: echoPrefix + st, kind: kPyro, obj: echoObj, readyPrefix: echoReadyURI,
			cmd: []string{gyroBin, "echoserver", "-H", "127.0.0.1", "-p", "0", "-t", st}})
	}
	if withPyro4 {
		// -u: the URI line must not wait in Python's pipe buffer
		ts = append(ts, target{name: pyro4Echo, kind: kPyro, obj: echoObj, readyPrefix: echoReadyURI,
			cmd: []string{"/usr/bin/python3", "-u", "-m", "Pyro4.test.echoserver", "-H", "127.0.0.1", "-p", "0"}})
	}
	return ts
}

// rootDir is the root module's directory (bench/ is a module of its own
// inside it).
func rootDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// buildGyro builds the gyro command into dir and returns its path.
func buildGyro(dir string) (string, error) {
	bin := filepath.Join(dir, "gyro")
	build := exec.Command("go", "build", "-o", bin, "./cmd/gyro")
	build.Dir = rootDir()
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("building cmd/gyro: %w", err)
	}
	return bin, nil
}
