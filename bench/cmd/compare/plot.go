package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"slices"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// palette gives each target its own bar colour, in target order.
var palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x39, 0x3b, 0x79, 0xff}, {0x63, 0x79, 0x39, 0xff},
}

// writePlot draws calls/s per workload per target as horizontal grouped
// bars, each group scaled to its own fastest target (workloads differ by
// orders of magnitude), with the median figure printed on every bar.
func writePlot(path string, targets []target, workloads []workload, res map[string]map[string][]result) error {
	const (
		rowH, groupGap, left, right, top, barMax = 12, 18, 150, 90, 40, 520
	)
	legendH := 16 * ((len(targets) + 3) / 4)
	height := top + legendH + len(workloads)*(14+len(targets)*rowH+groupGap) + 10
	width := left + barMax + right
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	text := func(x, y int, s string, c color.Color) {
		d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
		d.DrawString(s)
	}
	text(10, 18, "calls/s per workload (median of the repetitions; bars scaled per workload)", color.Black)
	for i, t := range targets {
		x, y := 10+(i%4)*((width-20)/4), top+(i/4)*16
		draw.Draw(img, image.Rect(x, y-9, x+10, y+1), image.NewUniform(palette[i%len(palette)]), image.Point{}, draw.Src)
		text(x+14, y, t.name, color.Black)
	}
	y := top + legendH + 6
	for _, w := range workloads {
		text(10, y+10, w.name, color.Black)
		y += 14 // the workload's name stands on its own line above its bars
		rates := make([]float64, len(targets))
		for i, t := range targets {
			if rs := res[w.name][t.name]; len(rs) > 0 {
				rates[i] = summarize(rs).rate
			}
		}
		peak := slices.Max(rates)
		for i, r := range rates {
			if peak > 0 && r > 0 {
				n := int(float64(barMax) * r / peak)
				draw.Draw(img, image.Rect(left, y+2, left+n, y+rowH-1), image.NewUniform(palette[i%len(palette)]), image.Point{}, draw.Src)
				text(left+n+4, y+rowH-2, fmt.Sprintf("%.0f", r), color.Black)
			}
			y += rowH
		}
		y += groupGap
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
