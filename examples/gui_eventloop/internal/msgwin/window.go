package msgwin

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"time"

	"gioui.org/app"
	"gioui.org/font/gofont"
	"gioui.org/io/system"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"
)

// MaxLines is how many messages the window keeps, as Pyro4's example does.
const MaxLines = 27

// Window is the example's window: three buttons and the list of messages.
// Except for Invalidate and Event, its methods must be called from the
// goroutine that runs the event loop (the "GUI thread"), like Tk's.
type Window struct {
	*app.Window

	th    *material.Theme
	lines []string
	out   io.Writer
	ops   op.Ops

	addText, clearAll, quit widget.Clickable
	list                    widget.List

	// Tick, if not zero, asks for a frame every Tick even when nothing
	// happens, which is how a Gio program gets a periodic callback.
	Tick time.Duration

	// Closed is set when Update met the window's DestroyEvent, which the
	// caller's event loop then never sees.
	Closed bool
}

// New creates the window (it appears at the first Event call). Every line
// shown is also written to out (io.Discard for none), so a terminal or a
// test can follow it.
func New(title string, out io.Writer) *Window {
	w := &Window{Window: new(app.Window), out: out}
	w.Option(app.Title(title), app.Size(unit.Dp(500), unit.Dp(500)))
	w.th = material.NewTheme()
	w.th.Shaper = text.NewShaper(text.NoSystemFonts(), text.WithCollection(gofont.Collection()))
	w.list.Axis = layout.Vertical
	w.list.ScrollToEnd = true // the newest line stays in view
	return w
}

// AddMessage shows a timestamped line, keeping the last MaxLines, from the
// next frame on.
func (w *Window) AddMessage(msg string) {
	line := fmt.Sprintf("[%s] %s", time.Now().Format(time.TimeOnly), msg)
	w.lines = append(w.lines, line)
	if len(w.lines) > MaxLines {
		w.lines = w.lines[len(w.lines)-MaxLines:]
	}
	fmt.Fprintln(w.out, line)
}

// Draw lays the window out for e, handles clicks and submits the frame.
func (w *Window) Draw(e app.FrameEvent) {
	gtx := app.NewContext(&w.ops, e)
	if w.addText.Clicked(gtx) {
		// only here to show that GUI events are processed normally
		w.AddMessage("The quick brown fox jumps over the lazy dog!")
	}
	if w.clearAll.Clicked(gtx) {
		w.lines = nil
	}
	if w.quit.Clicked(gtx) {
		w.Perform(system.ActionClose)
	}
	paint.Fill(gtx.Ops, color.NRGBA{R: 0xd9, G: 0xd9, B: 0xd9, A: 0xff})
	inset := layout.UniformInset(unit.Dp(4))
	layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Spacing: layout.SpaceBetween}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{}.Layout(gtx,
						layout.Rigid(w.button(&w.addText, "Add some text")),
						layout.Rigid(w.button(&w.clearAll, "Clear all text")),
					)
				}),
				layout.Rigid(w.button(&w.quit, "Quit")),
			)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return inset.Layout(gtx, material.Body1(w.th, "Pyro server messages:").Layout)
		}),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			return inset.Layout(gtx, w.messages)
		}),
	)
	if w.Tick > 0 {
		// each frame's ops replace the last's, Update's too: every frame
		// must ask again
		gtx.Execute(op.InvalidateCmd{At: e.Now.Add(w.Tick)})
	}
	e.Frame(gtx.Ops)
}

func (w *Window) button(c *widget.Clickable, label string) layout.Widget {
	return func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(unit.Dp(2)).Layout(gtx, material.Button(w.th, c, label).Layout)
	}
}

// messages draws the lines on white, in a sunken-looking frame.
func (w *Window) messages(gtx layout.Context) layout.Dimensions {
	size := gtx.Constraints.Max
	paint.FillShape(gtx.Ops, color.NRGBA{R: 0x80, G: 0x80, B: 0x80, A: 0xff},
		clip.Rect{Max: size}.Op())
	paint.FillShape(gtx.Ops, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff},
		clip.Rect{Min: image.Pt(1, 1), Max: size}.Op())
	layout.UniformInset(unit.Dp(3)).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return material.List(w.th, &w.list).Layout(gtx, len(w.lines),
			func(gtx layout.Context, i int) layout.Dimensions {
				l := material.Label(w.th, unit.Sp(13), w.lines[i])
				l.MaxLines = 1
				return l.Layout(gtx)
			})
	})
	return layout.Dimensions{Size: size}
}

// Update draws one frame now, from inside a callback of the event loop,
// as Tk's update() does: the rest of the event loop is waiting for the
// callback, so nothing else would show the window's new state. It returns
// false if the window was closed meanwhile.
func (w *Window) Update() bool {
	w.Invalidate()
	for {
		switch e := w.Event().(type) {
		case app.DestroyEvent:
			w.Closed = true
			return false
		case app.FrameEvent:
			w.Draw(e)
			return true
		}
	}
}
