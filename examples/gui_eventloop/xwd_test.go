package guieventloop_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/bits"
)

// decodeXWD decodes what `xwd -root` writes for a TrueColor screen (a
// ZPixmap of 24 or 32 bits per pixel), which is what Xvfb -screen WxHx24
// gives; other visuals are refused rather than guessed.
func decodeXWD(b []byte) (*image.RGBA, error) {
	const headerWords = 25
	if len(b) < headerWords*4 {
		return nil, errors.New("xwd: short header")
	}
	h := make([]uint32, headerWords)
	for i := range h {
		h[i] = binary.BigEndian.Uint32(b[i*4:])
	}
	var (
		headerSize   = int(h[0])
		version      = h[1]
		format       = h[2]
		width        = int(h[4])
		height       = int(h[5])
		byteOrder    = h[7]
		bitsPerPixel = int(h[11])
		bytesPerLine = int(h[12])
		visualClass  = h[13]
		masks        = [3]uint32{h[14], h[15], h[16]}
		ncolors      = int(h[19])
	)
	const zPixmap, trueColor = 2, 4
	switch {
	case version != 7:
		return nil, fmt.Errorf("xwd: version %d, want 7", version)
	case format != zPixmap || visualClass != trueColor:
		return nil, fmt.Errorf("xwd: format %d visual %d, want a TrueColor ZPixmap", format, visualClass)
	case bitsPerPixel != 32 && bitsPerPixel != 24:
		return nil, fmt.Errorf("xwd: %d bits per pixel", bitsPerPixel)
	}
	off := headerSize + ncolors*12
	if off < 0 || width <= 0 || height <= 0 || len(b) < off+bytesPerLine*height {
		return nil, errors.New("xwd: truncated pixel data")
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	bpp := bitsPerPixel / 8
	for y := range height {
		row := b[off+y*bytesPerLine:]
		for x := range width {
			var p uint32
			for i := range bpp {
				v := uint32(row[x*bpp+i])
				if byteOrder == 0 { // LSBFirst
					p |= v << (8 * i)
				} else {
					p = p<<8 | v
				}
			}
			var c [3]uint8
			for i, m := range masks {
				if m == 0 {
					continue
				}
				v := (p & m) >> bits.TrailingZeros32(m)
				c[i] = uint8(v * 255 / (m >> bits.TrailingZeros32(m)))
			}
			img.SetRGBA(x, y, color.RGBA{c[0], c[1], c[2], 0xff})
		}
	}
	return img, nil
}

// cropNonBlack returns the smallest part of img holding every pixel that
// is not black (the root window of Xvfb -br), i.e. the program's window.
func cropNonBlack(img *image.RGBA) *image.RGBA {
	var r image.Rectangle
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			if c := img.RGBAAt(x, y); c.R|c.G|c.B != 0 {
				r = r.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return img.SubImage(r).(*image.RGBA)
}

// lumaStdDev is the standard deviation of the pixels' brightness: about
// zero for a blank picture, large for text on a background.
func lumaStdDev(img *image.RGBA) float64 {
	var n, sum, sq float64
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		for x := img.Rect.Min.X; x < img.Rect.Max.X; x++ {
			c := img.RGBAAt(x, y)
			l := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
			n++
			sum += l
			sq += l * l
		}
	}
	if n == 0 {
		return 0
	}
	mean := sum / n
	return math.Sqrt(max(0, sq/n-mean*mean))
}
