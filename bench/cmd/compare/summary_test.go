package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSplice(t *testing.T) {
	tests := []struct {
		name, old, content, want, err string
	}{
		{
			name:    "replaces between the markers, keeps them and the rest",
			old:     "intro\n<!-- report: generated -->\nold table\n<!-- /report -->\nafter\n",
			content: "new table\n",
			want:    "intro\n<!-- report: generated -->\nnew table\n<!-- /report -->\nafter\n",
		},
		{
			name:    "empty section",
			old:     "<!-- report: x -->\n<!-- /report -->\n",
			content: "t\n",
			want:    "<!-- report: x -->\nt\n<!-- /report -->\n",
		},
		{name: "no begin marker", old: "text\n<!-- /report -->\n", err: "no \"<!-- report:\" marker"},
		{name: "end before begin", old: "<!-- /report -->\n<!-- report: x -->\n", err: "no \"<!-- /report -->\" marker"},
		{name: "begin marker on the last line", old: "<!-- report: x -->", err: "nothing follows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splice([]byte(tc.old), reportBegin, reportEnd, []byte(tc.content))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one that says %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestSpliceReadmeTwice runs the README's rewriting twice, as two runs of
// make bench-results do: the second replaces the first's table and the
// hand-written text around it survives both.
func TestSpliceReadmeTwice(t *testing.T) {
	readme := "## Benchmarks\n\nprose\n" + summaryBegin + " written by make bench-results -->\nplaceholder\n" + summaryEnd + "\n\nmore prose\n"
	first, err := splice([]byte(readme), summaryBegin, summaryEnd, []byte("table 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := splice(first, summaryBegin, summaryEnd, []byte("table 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(readme, "placeholder\n", "table 2\n", 1)
	if string(second) != want {
		t.Errorf("got\n%s\nwant\n%s", second, want)
	}
}

// steady returns n repetitions of rate calls/s with cpu of server time
// per call.
func steady(n int, rate int64, cpu time.Duration) []result {
	rs := make([]result, n)
	for i := range rs {
		rs[i] = result{calls: rate, elapsed: time.Second, cpu: cpu * time.Duration(rate)}
	}
	return rs
}

func TestSummaryTable(t *testing.T) {
	workloads := []workload{
		{name: "32x1 64B serpent", conns: 32, mode: "inflight", size: 64},
		{name: onewayEchoWorkload, conns: 32, mode: "pipe", size: 64, obj: echoObj, ow: "oneway_echo"},
		{name: "32x1 1KiB serpent", conns: 32, mode: "inflight", size: 1024}, // not a key workload
	}
	res := map[string]map[string][]result{
		"32x1 64B serpent": {
			"pyro4-thread":   steady(3, 10000, 70*time.Microsecond),
			"gyro-thread":    steady(3, 30000, 15*time.Microsecond),
			"gyro-multiplex": steady(3, 25000, 14*time.Microsecond),
			"echo-gnet":      steady(3, 40000, 12*time.Microsecond),
		},
		onewayEchoWorkload: {
			pyro4Echo:                steady(3, 6000, 150*time.Microsecond),
			echoPrefix + "multicore": steady(3, 600000, time.Microsecond),
			"echo-gnet":              steady(3, 1200000, 200*time.Nanosecond),
		},
		"32x1 1KiB serpent": {"gyro-thread": steady(3, 1, time.Second)},
	}
	scale := []scaleCell{
		{target: "gyro-thread", conns: 10000, s: summary{rate: 20000, p99: 150 * time.Millisecond, ok: true}},
		{target: "gyro-multiplex", conns: 10000, note: "connection 9000 of 10000: refused"},
	}
	got := summaryTable(workloads, res, scale, time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC))
	for _, want := range []string{
		"Last `make bench-results` run: 2026-12-06",
		"| 32x1 64B serpent | 10,000 calls/s, 70.0 µs CPU | 3.00× Pyro, 0.75× echo, 15.0 µs | 2.50× Pyro, 0.62× echo, 14.0 µs | – |\n",
		// the echo server's row compares gyro echoserver with Pyro4's
		"| " + onewayEchoWorkload + " | 6,000 calls/s, 150.0 µs CPU | – | – | 100.00× Pyro, 0.50× echo, 1.00 µs |\n",
		"| 10,000 clients, one call at a time each (Pyro4: its multiplex daemon) | – | 20,000 calls/s, p99 150.0 ms | – | – |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "1KiB") {
		t.Errorf("summary has a workload that is not a key one:\n%s", got)
	}
	if got := summaryTable(nil, nil, nil, time.Now()); !strings.Contains(got, "no key workload ran") {
		t.Errorf("empty run: %q", got)
	}
}

// TestSummaryWorkloadsExist: a renamed workload would silently drop out of
// README's summary.
func TestSummaryWorkloadsExist(t *testing.T) {
	names := map[string]bool{}
	for _, w := range allWorkloads() {
		if names[w.name] {
			t.Errorf("workload %q twice", w.name)
		}
		names[w.name] = true
	}
	for _, n := range append(slices.Clone(summaryWorkloads), tlsWorkloads...) {
		if !names[n] {
			t.Errorf("%q is not a workload", n)
		}
	}
	if names[scalingSection] || names[coresSection] {
		t.Error("a workload has a section's name")
	}
}
