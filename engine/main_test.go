package engine_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/gyro-rpc/gyro/config"
	_ "github.com/gyro-rpc/gyro/multicore" // the suite runs on every server type
)

// serverTypeEnv selects the server type the suite runs against. TestMain
// runs the whole suite once per server type, so every behaviour is checked
// on every transport.
const serverTypeEnv = "GYRO_TEST_SERVERTYPE"

func testConfig() config.Config {
	cfg := config.Default()
	if st := os.Getenv(serverTypeEnv); st != "" {
		cfg.ServerType = st
	}
	return cfg
}

func TestMain(m *testing.M) {
	code := m.Run()
	benchmarking := flag.Lookup("test.bench").Value.String() != ""
	if code != 0 || os.Getenv(serverTypeEnv) != "" || benchmarking || testing.Short() {
		os.Exit(code)
	}
	// Each run gets a third of the time the whole test binary has, so that
	// a run that hangs times out, with its own goroutine dump, before the
	// binary that waits for it does.
	args := os.Args[1:]
	if d, err := time.ParseDuration(flag.Lookup("test.timeout").Value.String()); err == nil && d > 0 {
		args = append(slices.Clone(args), "-test.timeout="+(d/3).String())
	}
	for _, st := range []string{"multiplex", "multicore"} {
		fmt.Println("=== engine suite again with SERVERTYPE=" + st)
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), serverTypeEnv+"="+st)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Println(st, "run failed:", err)
			os.Exit(1)
		}
	}
	os.Exit(0)
}
