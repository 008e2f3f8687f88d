package main

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

var setupColors = map[string]color.RGBA{
	"direct":       {0x70, 0x70, 0x70, 0xff},
	"relay":        {0x1f, 0x77, 0xb4, 0xff},
	"breakwater":   {0xd6, 0x27, 0x28, 0xff},
	"freediameter": {0x2c, 0xa0, 0x2c, 0xff},
}

// plotReport draws throughput (answers/s) and p99 latency against the
// offered load, one line per setup, side by side, into a PNG.
func plotReport(rep *report, path string) error {
	thr, lat := plot.New(), plot.New()
	thr.Title.Text, thr.X.Label.Text, thr.Y.Label.Text = "Throughput", "offered load (requests/s)", "answers/s"
	lat.Title.Text, lat.X.Label.Text, lat.Y.Label.Text = "p99 round trip", "offered load (requests/s)", "µs (log scale)"
	// Logarithmic: a saturated set-up's seconds would otherwise flatten
	// the others' hundreds of microseconds into one line.
	lat.Y.Scale, lat.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	for _, s := range rep.Setups {
		pts := rep.Points[s]
		if len(pts) == 0 {
			continue
		}
		t, l := make(plotter.XYs, len(pts)), make(plotter.XYs, len(pts))
		for i, p := range pts {
			t[i] = plotter.XY{X: p.Offered, Y: p.Rate}
			l[i] = plotter.XY{X: p.Offered, Y: max(p.P99, 1)} // log scale: above 0
		}
		for _, pair := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{thr, t}, {lat, l}} {
			line, points, err := plotter.NewLinePoints(pair.xys)
			if err != nil {
				return err
			}
			c := setupColors[s]
			line.Color, points.Color = c, c
			pair.p.Add(line, points)
			pair.p.Legend.Add(s, line, points)
		}
	}
	thr.Legend.Top, lat.Legend.Top = true, true
	thr.Legend.Left = true
	const w, h = 12 * vg.Inch, 5 * vg.Inch
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{{thr, lat}}, tiles, dc)
	thr.Draw(canvases[0][0])
	lat.Draw(canvases[0][1])
	return savePNG(img, path)
}
