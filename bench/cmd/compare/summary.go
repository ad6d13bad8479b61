package main

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"
)

// Markers of the generated parts: the report in bench/RESULTS.md and the
// summary in README.md. Everything outside them is written by hand.
const (
	reportBegin  = "<!-- report:"
	reportEnd    = "<!-- /report -->"
	summaryBegin = "<!-- bench-summary:"
	summaryEnd   = "<!-- /bench-summary -->"
)

// splice replaces what lies between the line that holds begin and the
// marker end with content, keeping both marker lines.
func splice(old []byte, begin, end string, content []byte) ([]byte, error) {
	i := bytes.Index(old, []byte(begin))
	if i < 0 {
		return nil, fmt.Errorf("no %q marker", begin)
	}
	nl := bytes.IndexByte(old[i:], '\n')
	if nl < 0 {
		return nil, fmt.Errorf("nothing follows the %q marker", begin)
	}
	i += nl + 1
	j := bytes.Index(old[i:], []byte(end))
	if j < 0 {
		return nil, fmt.Errorf("no %q marker after %q", end, begin)
	}
	j += i
	var out bytes.Buffer
	out.Write(old[:i])
	out.Write(content)
	out.Write(old[j:])
	return out.Bytes(), nil
}

// spliceFile rewrites the part of the file at path between its markers.
func spliceFile(path, begin, end string, content []byte) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out, err := splice(old, begin, end, content)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, out, 0o644)
}

// summaryWorkloads are the workloads of README's summary table.
var summaryWorkloads = []string{
	"seq 64B serpent", "32x1 64B serpent", pipelinedCalls,
	"32 pipelined oneway 64B serpent", "32 pipelined batch 64B serpent", onewayEchoWorkload,
	"32x1 64B pyro5 serpent",
}

// summaryTable is README's short table: for the key workloads, the Pyro
// reference's calls/s and server CPU per call, and each gyro type's calls/s
// as a multiple of the reference's and of the raw gnet echo's with its
// CPU per call; then the scaling section's largest level.
func summaryTable(workloads []workload, res map[string]map[string][]result, scale []scaleCell, date time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nLast `make bench-results` run: %s; every figure, the machine and the method are in\n", date.UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "[bench/RESULTS.md](bench/RESULTS.md). Each gyro cell: calls/s as a multiple of the Pyro daemon's (Pyro4's,\n")
	fmt.Fprintf(&b, "or Pyro5's in the pyro5 row, or Pyro4's test echo server in the oneway_echo row) and of a raw gnet echo server's,\n")
	fmt.Fprintf(&b, "then server CPU per call.\n\n")
	fmt.Fprintf(&b, "| workload | Pyro daemon | gyro thread | gyro multiplex | gyro multicore |\n|---|---|---|---|---|\n")
	rows := 0
	for _, name := range summaryWorkloads {
		var w workload
		found := false
		for _, x := range workloads {
			if x.name == name {
				w, found = x, true
			}
		}
		if !found {
			continue
		}
		rs := res[name]
		ref := pyroRef(w)
		sr := summarize(rs[ref])
		refCell := "–"
		if sr.ok {
			refCell = fmt.Sprintf("%s calls/s, %s µs CPU", thousands(int(sr.rate+0.5)), us(sr.cpuPerCall))
		}
		cells := []string{name, refCell}
		any := false
		for _, st := range []string{"thread", "multiplex", "multicore"} {
			t := gyroTarget(w, st)
			s := summarize(rs[t])
			if !s.ok {
				cells = append(cells, "–")
				continue
			}
			any = true
			var parts []string
			if r := rateRatio(rs[t], rs[ref], s, sr); sr.ok && r > 0 {
				parts = append(parts, ratio(r)+" Pyro")
			}
			if se := summarize(rs["echo-gnet"]); se.ok {
				parts = append(parts, ratio(rateRatio(rs[t], rs["echo-gnet"], s, se))+" echo")
			}
			parts = append(parts, us(s.cpuPerCall)+" µs")
			cells = append(cells, strings.Join(parts, ", "))
		}
		if any {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
			rows++
		}
	}
	if n := len(scaleLevels); n > 0 && len(scale) > 0 {
		top := scaleLevels[n-1]
		cells := []string{clients(top) + ", one call at a time each (Pyro4: its multiplex daemon)"}
		for _, t := range []string{"pyro4-multiplex", "gyro-thread", "gyro-multiplex", "gyro-multicore"} {
			c, ok := scaleCellOf(scale, t, top)
			if !ok || c.note != "" || !c.s.ok {
				cells = append(cells, "–")
				continue
			}
			cells = append(cells, fmt.Sprintf("%s calls/s, p99 %s", thousands(int(c.s.rate+0.5)), fmtLatency(c.s.p99)))
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
		rows++
	}
	if rows == 0 {
		return "\n(no key workload ran)\n\n"
	}
	b.WriteString("\n")
	return b.String()
}
