package naming

import (
	"strings"
	"testing"
)

// StartNS's errors name each layer once: a store that cannot open says
// "naming: open bolt storage ...", not "naming: naming: ...".
func TestStartNSErrorsNotDoubled(t *testing.T) {
	for _, spec := range []string{"bolt:" + t.TempDir() + "/missing/dir/ns.db", "sql:x"} {
		_, err := StartNS(NSOptions{Host: "127.0.0.1", NoBroadcast: true, Storage: spec, Config: testConfig(t)})
		if err == nil {
			t.Fatalf("%s: StartNS succeeded", spec)
		}
		if strings.Count(err.Error(), "naming:") > 1 || strings.ToLower(err.Error()[:1]) != err.Error()[:1] {
			t.Errorf("%s: error %q", spec, err)
		}
	}
}
