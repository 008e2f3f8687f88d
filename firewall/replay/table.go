package replay

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// tableSink prints fixed-width columns: widths are fixed rather than
// measured so that a long capture streams instead of being held in memory.
type tableSink struct {
	w      *bufio.Writer
	opts   Options
	buf    []byte
	header bool
}

func newTableSink(o Options) *tableSink {
	return &tableSink{w: bufio.NewWriterSize(o.Out, 64<<10), opts: o, buf: make([]byte, 0, 256)}
}

var tableColumns = []struct {
	name  string
	width int
}{
	{"FRAME", 7}, {"TIME", 18}, {"PROTO", 8}, {"DIR", 8}, {"PARTNER", 14}, {"OP", 6},
	{"IMSI", 16}, {"VERDICT", 7}, {"RULE", 24}, {"CAT", 9},
}

// pad appends s (cut to width) and spaces up to width plus a separator.
func pad(b []byte, s []byte, width int, right bool) []byte {
	if len(s) > width {
		s = s[:width]
	}
	if right {
		for i := len(s); i < width; i++ {
			b = append(b, ' ')
		}
		b = append(b, s...)
	} else {
		b = append(b, s...)
		for i := len(s); i < width; i++ {
			b = append(b, ' ')
		}
	}
	return append(b, ' ', ' ')
}

func (t *tableSink) record(frame int, m *view.Message, v *engine.Verdict) {
	if !t.header {
		t.header = true
		var h []byte
		for i, c := range tableColumns {
			h = pad(h, []byte(c.name), c.width, i == 0)
		}
		t.w.Write(append(trimRight(h), '\n'))
	}
	var num [24]byte
	b := t.buf[:0]
	b = pad(b, strconv.AppendInt(num[:0], int64(frame), 10), 7, true)
	b = pad(b, m.Time.UTC().AppendFormat(num[:0], "01-02 15:04:05.000"), 18, false)
	b = pad(b, []byte(m.Protocol.String()), 8, false)
	b = pad(b, []byte(v.Direction()), 8, false)
	b = pad(b, []byte(v.Partner()), 14, false)
	op := m.Op
	if op == "" {
		op = strconv.Itoa(int(m.Code)) // rare: unknown command
	}
	b = pad(b, []byte(op), 6, false)
	var id [32]byte
	b = pad(b, identity(id[:0], "imsi", &m.IMSI, t.opts.Reveal, t.opts.Pseudonyms), 16, false)
	b = pad(b, []byte(v.Action.String()), 7, false)
	b = pad(b, []byte(v.Rule.ID), 24, false)
	b = pad(b, []byte(v.Rule.Category), 9, false)
	b = trimRight(b)
	if m.Malformed != "" {
		b = append(b, "  ("...)
		b = append(b, m.Malformed...)
		b = append(b, ')')
	}
	b = append(b, '\n')
	t.buf = b
	t.w.Write(b)
}

func trimRight(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

func (t *tableSink) summary(s *Summary) {
	t.w.WriteByte('\n')
	writeSummary(t.w, s)
}

func (t *tableSink) flush() error { return t.w.Flush() }

// writeSummary prints totals: messages per protocol and verdict, the rules
// that decided most often, and capture problems.
func writeSummary(w io.Writer, s *Summary) {
	rate := ""
	if s.Elapsed > 0 && s.Messages > 0 {
		rate = fmt.Sprintf(", %.0f msg/s", float64(s.Messages)/s.Elapsed.Seconds())
	}
	fmt.Fprintf(w, "%d signaling messages from %d packets in %d file(s) in %s%s\n",
		s.Messages, s.Packets, s.Files, s.Elapsed.Round(10*time.Microsecond), rate)
	if s.Messages > 0 {
		fmt.Fprintf(w, "\n  %-10s %8s %8s %8s %8s\n", "PROTOCOL", "ALLOW", "DROP", "REJECT", "TOTAL")
		for _, p := range view.Protocols() {
			a := s.Verdicts[p]
			if a == nil {
				continue
			}
			total := a[rules.Allow] + a[rules.Drop] + a[rules.Reject]
			fmt.Fprintf(w, "  %-10s %8d %8d %8d %8d\n", p, a[rules.Allow], a[rules.Drop], a[rules.Reject], total)
		}
		fmt.Fprintf(w, "\n  %-26s %8s  %-9s  %s\n", "RULE", "HITS", "CATEGORY", "DESCRIPTION")
		for i, id := range s.TopRules() {
			if i == 10 {
				break
			}
			r := s.RuleInfo[id]
			fmt.Fprintf(w, "  %-26s %8d  %-9s  %s\n", id, s.Rules[id], r.Category, r.Description)
		}
	}
	if s.Malformed > 0 {
		fmt.Fprintf(w, "\n  %d malformed message(s)\n", s.Malformed)
	}
	if s.Problems > 0 {
		fmt.Fprintf(w, "\n  %d capture problem(s):", s.Problems)
		for layer, n := range s.ProblemLayers {
			fmt.Fprintf(w, " %s %d", layer, n)
		}
		fmt.Fprintln(w)
	}
}
