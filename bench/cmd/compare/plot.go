package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// palette gives each series its own bar colour.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
}

// plotBar is one gyro type in one workload: its calls/s over the Pyro
// reference's and over the raw gnet echo's (0: not measured).
type plotBar struct {
	series        string // "thread", "multiplex", "multicore"
	vsRef, vsEcho float64
}

// plotGroup is one workload's bars.
type plotGroup struct {
	workload, ref string
	bars          []plotBar
}

// plotGroups are the ratios the plot draws: per workload, each gyro type's
// calls/s over its Pyro reference's and over echo-gnet's, paired round by
// round as in the report. Workloads with no gyro figures are left out.
func plotGroups(workloads []workload, res map[string]map[string][]result) []plotGroup {
	var gs []plotGroup
	for _, w := range workloads {
		g := plotGroup{workload: w.name, ref: pyroRef(w)}
		rs := res[w.name]
		for _, st := range []string{"thread", "multiplex", "multicore"} {
			name := gyroTarget(w, st)
			if len(rs[name]) == 0 {
				continue
			}
			vs := func(ref string) float64 {
				return rateRatio(rs[name], rs[ref], summarize(rs[name]), summarize(rs[ref]))
			}
			g.bars = append(g.bars, plotBar{series: st, vsRef: vs(g.ref), vsEcho: vs("echo-gnet")})
		}
		if len(g.bars) > 0 {
			gs = append(gs, g)
		}
	}
	return gs
}

// gyroTarget is the target that runs gyro's server type st in workload w.
func gyroTarget(w workload, st string) string {
	if w.obj == echoObj {
		return echoPrefix + st
	}
	return "gyro-" + st
}

// decades is the smallest range of whole powers of ten that holds every
// positive value of vs and 1.
func decades(vs []float64) (lo, hi float64) {
	lo, hi = 1, 1
	for _, v := range vs {
		if v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
}

// logPos maps v in [lo, hi] to a pixel in [0, width] on a log scale.
func logPos(v, lo, hi float64, width int) int {
	v = math.Min(math.Max(v, lo), hi)
	return int(math.Round(float64(width) * math.Log(v/lo) / math.Log(hi/lo)))
}

// writePlot draws, per workload, each gyro type's calls/s as a multiple of
// the Pyro reference's (Pyro4's daemon, Pyro5's in the pyro5 workloads,
// Pyro4's test echo server in oneway_echo) and of the raw gnet echo's, on
// log scales with bars from 1× (the reference's own rate), followed by
// calls/s against the number of concurrent clients.
func writePlot(path string, workloads []workload, res map[string]map[string][]result, scale []scaleCell) error {
	gs := plotGroups(workloads, res)
	const (
		left, panelW, gap, top, rowH, groupH = 250, 330, 70, 66, 12, 16
	)
	var refs, echoes []float64
	rows := 0
	for _, g := range gs {
		for _, b := range g.bars {
			refs, echoes = append(refs, b.vsRef), append(echoes, b.vsEcho)
		}
		rows += len(g.bars)
	}
	scaleTs := scaleTargetsOf(scale)
	scaleH := 0
	if len(scaleTs) > 0 {
		scaleH = 60 + len(scaleLevels)*(groupH+len(scaleTs)*rowH+8)
	}
	width := left + 2*panelW + gap + 70
	height := top + len(gs)*groupH + rows*rowH + 30 + scaleH
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	text := func(x, y int, s string, c color.Color) {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	rect := func(x0, y0, x1, y1 int, c color.Color) {
		if x1 < x0 {
			x0, x1 = x1, x0
		}
		draw.Draw(img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	grey, dark := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}, color.RGBA{0x44, 0x44, 0x44, 0xff}
	text(10, 16, "gyro's calls/s as a multiple of the reference's, per workload (log scales; bars start at 1x = the reference)", color.Black)
	for i, st := range []string{"thread", "multiplex", "multicore"} {
		x := 10 + i*130
		rect(x, 24, x+10, 34, palette[i])
		text(x+14, 34, "gyro "+st, color.Black)
	}
	panels := []struct {
		title  string
		x      int
		lo, hi float64
		val    func(plotBar) float64
	}{
		{"x the Pyro daemon", left, 0, 0, func(b plotBar) float64 { return b.vsRef }},
		{"x the raw gnet echo", left + panelW + gap, 0, 0, func(b plotBar) float64 { return b.vsEcho }},
	}
	panels[0].lo, panels[0].hi = decades(refs)
	panels[1].lo, panels[1].hi = decades(echoes)
	bottom := top + len(gs)*groupH + rows*rowH
	for _, p := range panels {
		text(p.x, top-18, p.title, color.Black)
		for d := p.lo; d <= p.hi*1.0001; d *= 10 {
			x := p.x + logPos(d, p.lo, p.hi, panelW)
			c := grey
			if math.Abs(d-1) < 1e-9 {
				c = dark
			}
			rect(x, top-8, x+1, bottom, c)
			text(x-8, bottom+14, trimRatio(d), color.Black)
		}
	}
	y := top
	for _, g := range gs {
		text(10, y+11, g.workload, color.Black)
		y += groupH
		for _, b := range g.bars {
			i := map[string]int{"thread": 0, "multiplex": 1, "multicore": 2}[b.series]
			for _, p := range panels {
				v := p.val(b)
				if v <= 0 {
					continue
				}
				x0, x1 := p.x+logPos(1, p.lo, p.hi, panelW), p.x+logPos(v, p.lo, p.hi, panelW)
				rect(x0, y+2, x1+1, y+rowH-1, palette[i])
				label, lx := trimRatio(v), max(x0, x1)+4
				if x1 < x0 {
					lx = x1 - 7*len(label) - 4
				}
				text(lx, y+rowH-2, label, color.Black)
			}
			y += rowH
		}
	}
	if len(scaleTs) > 0 {
		drawScaling(img, text, rect, bottom+40, left, 2*panelW+gap, scale, scaleTs)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// drawScaling draws calls/s per number of clients, a group per level and
// a bar per target, on one linear scale.
func drawScaling(img *image.RGBA, text func(int, int, string, color.Color), rect func(int, int, int, int, color.Color),
	y, left, width int, scale []scaleCell, ts []string) {
	const rowH, groupH = 12, 16
	text(10, y, "calls/s of N concurrent sequential clients (one call at a time each), 64 B serpent echo", color.Black)
	for i, t := range ts {
		x := 10 + i*170
		rect(x, y+8, x+10, y+18, scaleColour(t))
		text(x+14, y+18, t, color.Black)
	}
	peak := 0.0
	for _, c := range scale {
		peak = math.Max(peak, c.s.rate)
	}
	y += 30
	for _, n := range scaleLevels {
		text(10, y+11, clients(n), color.Black)
		y += groupH
		for _, t := range ts {
			c, ok := scaleCellOf(scale, t, n)
			switch {
			case !ok:
			case c.note != "" || c.s.rate == 0:
				text(left, y+rowH-2, "did not run", color.Black)
			case peak > 0:
				w := int(float64(width-80) * c.s.rate / peak)
				rect(left, y+2, left+w, y+rowH-1, scaleColour(t))
				// the font has no µ
				p99 := strings.ReplaceAll(fmtLatency(c.s.p99), "µ", "u")
				text(left+w+4, y+rowH-2, fmt.Sprintf("%.0f/s p99 %s", c.s.rate, p99), color.Black)
			}
			y += rowH
		}
		y += 8
	}
}

// scaleColour is a gyro type's colour in the ratio bars, grey for the
// others.
func scaleColour(target string) color.RGBA {
	switch target {
	case "gyro-thread":
		return palette[0]
	case "gyro-multiplex":
		return palette[1]
	case "gyro-multicore":
		return palette[2]
	}
	return palette[7]
}

// trimRatio writes a ratio with two significant digits or so.
func trimRatio(r float64) string {
	var s string
	switch {
	case r >= 10:
		s = fmt.Sprintf("%.0f", r)
	case r >= 1:
		s = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", r), "0"), ".")
	default:
		s = strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", r), "0"), ".")
		if r < 0.01 {
			s = fmt.Sprintf("%.3f", r)
		}
	}
	return s + "x"
}
