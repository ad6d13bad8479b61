package pyrotest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// Pyro5Version is the Pyro5 release the interop tests are written against.
const Pyro5Version = "5.15"

const skipMessage5 = "real Pyro5 not fetched: run scripts/pyro5-deps.sh (make test runs it)"

var (
	check5Once sync.Once
	check5Dir  string
	check5Err  error
)

// Pyro5Dir returns the directory scripts/pyro5-deps.sh unpacks Pyro5 into,
// the one that goes on PYTHONPATH: $GYRO_PYRO5_DIR or the user cache
// directory's gyro/pyro5, as in the script.
func Pyro5Dir() (string, error) {
	base := os.Getenv("GYRO_PYRO5_DIR")
	if base == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return "", err
		}
		base = filepath.Join(cache, "gyro", "pyro5")
	}
	return filepath.Join(base, "root", "usr", "lib", "python3", "dist-packages"), nil
}

// Pyro5Env returns the environment entries that make Interpreter import
// Pyro5 5.15, checked once. When Pyro5 is missing it skips the test,
// except under CI=true or GYRO_REQUIRE_PYRO4=1, where it fails the test,
// exactly as Python does for Pyro4.
func Pyro5Env(t testing.TB) []string {
	t.Helper()
	skipEmulated(t)
	check5Once.Do(func() {
		check5Dir, check5Err = Pyro5Dir()
		if check5Err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, Interpreter, "-c",
			"import Pyro5; assert Pyro5.__version__ == '"+Pyro5Version+"', Pyro5.__version__")
		cmd.Env = environ([]string{"PYTHONPATH=" + check5Dir})
		if out, err := cmd.CombinedOutput(); err != nil {
			check5Err = fmt.Errorf("PYTHONPATH=%s %s -c 'import Pyro5': %v: %s", check5Dir, Interpreter, err, bytes.TrimSpace(out))
		}
	})
	if check5Err != nil {
		if required() {
			t.Fatalf("%s (required because CI=true or GYRO_REQUIRE_PYRO4=1): %v", skipMessage5, check5Err)
		}
		t.Skip(skipMessage5)
	}
	return []string{"PYTHONPATH=" + check5Dir}
}

// Run5 is Run for Pyro5: it runs a python script that imports Pyro5 and
// returns its stdout. PYRO_* settings (Pyro5 reads the same prefix) are
// dropped from the inherited environment as for Run.
func Run5(t testing.TB, ctx context.Context, script string, env ...string) (stdout string, err error) {
	t.Helper()
	return run(t, ctx, []string{"-c", script}, "", append(Pyro5Env(t), env...))
}

// Start5 is Start for Pyro5: args run under an interpreter that imports
// Pyro5 (e.g. "-m", "Pyro5.nameserver", "-p", "0").
func Start5(t testing.TB, args []string, ready *regexp.Regexp, env ...string) *Process {
	t.Helper()
	return Start(t, args, ready, append(Pyro5Env(t), env...)...)
}

// Available5 is Available for Pyro5: true when Pyro5 5.15 can be imported,
// and always under CI, so a missing Pyro5 fails instead of hiding.
func Available5() bool {
	if Emulated() {
		return false
	}
	if required() {
		return true
	}
	dir, err := Pyro5Dir()
	if err != nil {
		return false
	}
	cmd := exec.Command(Interpreter, "-c", "import Pyro5")
	cmd.Env = environ([]string{"PYTHONPATH=" + dir})
	return cmd.Run() == nil
}

// RequireModule checks that the system python can import module (msgpack,
// say, which Pyro4 and Pyro5 import only when present) and otherwise skips
// the test, or fails it under CI=true or GYRO_REQUIRE_PYRO4=1, as Python
// does for Pyro4.
func RequireModule(t testing.TB, module string) {
	t.Helper()
	skipEmulated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, Interpreter, "-c", "import "+module).CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("python module %s missing (make deps installs python3-%s): %v: %s", module, module, err, bytes.TrimSpace(out))
	if required() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
