package replay

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// progress draws a one-line bar on a terminal while a large capture is read.
type progress struct {
	w     io.Writer
	name  string
	total int64
	read  atomic.Int64
	last  time.Time
}

func newProgress(w io.Writer, path string, total int64) *progress {
	return &progress{w: w, name: filepath.Base(path), total: total}
}

type countingReader struct {
	r io.Reader
	p *progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(int64(n))
	return n, err
}

func (p *progress) reader(r io.Reader) io.Reader { return countingReader{r, p} }

func (p *progress) add(n int64) {
	done := p.read.Add(n)
	if now := time.Now(); now.Sub(p.last) >= 100*time.Millisecond {
		p.last = now
		p.draw(done)
	}
}

func (p *progress) draw(done int64) {
	const width = 30
	frac := float64(done) / float64(p.total)
	frac = min(frac, 1)
	n := int(frac * width)
	fmt.Fprintf(p.w, "\r%s [%s%s] %3.0f%%", p.name, strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100)
}

func (p *progress) done() {
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", len(p.name)+40))
}
