package replay

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "/captures/big.pcapng", 1000)
	r := p.reader(strings.NewReader(strings.Repeat("x", 1000)))
	buf := make([]byte, 250)
	for {
		p.last = time.Time{} // draw on every read, not only every 100 ms
		if _, err := r.Read(buf); err == io.EOF {
			break
		}
	}
	p.done()
	s := out.String()
	for _, want := range []string{"big.pcapng [", " 25%", "100%"} {
		if !strings.Contains(s, want) {
			t.Errorf("progress output %q lacks %q", s, want)
		}
	}
	if !strings.HasSuffix(s, "\r") {
		t.Errorf("progress line is not cleared at the end: %q", s)
	}
}
