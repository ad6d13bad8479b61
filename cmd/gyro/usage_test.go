package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// Each command's -h lists every option once, with its short and long name
// together, as Pyro4's tools do.
func TestHelpListsEachOptionOnce(t *testing.T) {
	tests := []struct {
		args []string
		want []string // lines that must be there
	}{
		{[]string{"echoserver", "-h"}, []string{"  -p, --port int", "  -H, --host string", "  -N, --nameserver"}},
		{[]string{"ns", "-h"}, []string{"  -p, --port port", "  -n, --host string", "  -x, --nobc", "  --bcport port"}},
		{[]string{"nsc", "-h"}, []string{"  -p, --port int", "  -n, --host string"}},
		{[]string{"bench", "serve", "-h"}, nil},
	}
	option := regexp.MustCompile(`^  (-[^\s,]+(?:, -[^\s,]+)*)`)
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut strings.Builder
			if code := runContext(context.Background(), tc.args, nil, &out, &errOut); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			help := errOut.String()
			seen := map[string]bool{}
			n := 0
			for _, line := range strings.Split(help, "\n") {
				m := option.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				n++
				for _, name := range strings.Split(m[1], ", ") {
					bare := strings.TrimLeft(name, "-")
					if seen[bare] {
						t.Errorf("option %s listed twice:\n%s", bare, help)
					}
					seen[bare] = true
				}
			}
			if n == 0 {
				t.Fatalf("no options listed:\n%s", help)
			}
			for _, w := range tc.want {
				if !strings.Contains(help, w+"\n") {
					t.Errorf("help lacks %q:\n%s", w, help)
				}
			}
		})
	}
}
