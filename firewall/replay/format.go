package replay

import (
	"bufio"
	"fmt"
	"strconv"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// Format selects the output.
type Format int

const (
	FormatTable Format = iota // aligned columns and a summary, for people
	FormatJSONL               // one JSON object per message, for programs
	FormatNone                // summary only
)

// ParseFormat accepts "table", "jsonl" and "none".
func ParseFormat(s string) (Format, error) {
	switch s {
	case "table":
		return FormatTable, nil
	case "jsonl":
		return FormatJSONL, nil
	case "none":
		return FormatNone, nil
	}
	return 0, fmt.Errorf("unknown format %q: use table, jsonl or none", s)
}

type sink interface {
	record(frame int, m *view.Message, v *engine.Verdict)
	summary(s *Summary)
	flush() error
}

// summarySink prints only the summary (FormatNone).
type summarySink struct{ w *bufio.Writer }

func (summarySink) record(int, *view.Message, *engine.Verdict) {}
func (s summarySink) summary(sum *Summary)                     { writeSummary(s.w, sum) }
func (s summarySink) flush() error                             { return s.w.Flush() }

// identity renders an IMSI/MSISDN as configured: clear or pseudonymised.
func identity(dst []byte, kind string, d *view.Digits, reveal bool, h *pseudonym.Hasher) []byte {
	if reveal {
		return append(dst, d.Bytes()...)
	}
	return h.Append(dst, kind, d.Bytes())
}

// jsonSink writes one object per message; records are built in one
// reused buffer.
type jsonSink struct {
	w    *bufio.Writer
	diag *bufio.Writer
	opts Options
	buf  []byte
}

func newJSONSink(o Options) *jsonSink {
	return &jsonSink{w: bufio.NewWriterSize(o.Out, 64<<10), diag: bufio.NewWriter(o.Diag), opts: o, buf: make([]byte, 0, 1024)}
}

func (j *jsonSink) record(frame int, m *view.Message, v *engine.Verdict) {
	b := j.buf[:0]
	b = append(b, `{"frame":`...)
	b = strconv.AppendInt(b, int64(frame), 10)
	b = append(b, `,"time":"`...)
	b = m.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","proto":"`...)
	b = append(b, m.Protocol.String()...)
	b = append(b, `","src":"`...)
	b = m.Src.AppendTo(b)
	b = append(b, `","dst":"`...)
	b = m.Dst.AppendTo(b)
	b = append(b, `","code":`...)
	b = strconv.AppendUint(b, uint64(m.Code), 10)
	b = append(b, `,"app":`...)
	b = strconv.AppendUint(b, uint64(m.App), 10)
	b = append(b, `,"op":`...)
	b = appendJSONString(b, m.Op)
	b = append(b, `,"request":`...)
	b = strconv.AppendBool(b, m.Request)
	b = append(b, `,"direction":"`...)
	b = append(b, v.Direction()...)
	b = append(b, `","partner":`...)
	b = appendJSONString(b, v.Partner())
	b = append(b, `,"verdict":"`...)
	b = append(b, v.Action.String()...)
	b = append(b, `","rule":`...)
	b = appendJSONString(b, v.Rule.ID)
	b = append(b, `,"category":"`...)
	b = append(b, v.Rule.Category...)
	b = append(b, '"')
	if !m.IMSI.IsZero() {
		b = append(b, `,"imsi":"`...)
		b = identity(b, "imsi", &m.IMSI, j.opts.Reveal, j.opts.Pseudonyms)
		b = append(b, '"')
	}
	if !m.MSISDN.IsZero() {
		b = append(b, `,"msisdn":"`...)
		b = identity(b, "msisdn", &m.MSISDN, j.opts.Reveal, j.opts.Pseudonyms)
		b = append(b, '"')
	}
	if !m.VisitedPLMN.IsZero() {
		b = append(b, `,"visited_plmn":"`...)
		b = m.VisitedPLMN.AppendDigits(b)
		b = append(b, '"')
	}
	if m.ResultCode != 0 {
		b = append(b, `,"result_code":`...)
		b = strconv.AppendUint(b, uint64(m.ResultCode), 10)
	}
	if v.Action == rules.Reject {
		b = append(b, `,"answer_code":`...)
		b = strconv.AppendUint(b, uint64(rejectCode(m, v)), 10)
	}
	if m.Malformed != "" {
		b = append(b, `,"malformed":`...)
		b = appendJSONString(b, m.Malformed)
	}
	if v.NLog > 0 {
		b = append(b, `,"logged":[`...)
		for i := 0; i < v.NLog; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v.Logged[i].ID)
		}
		b = append(b, ']')
	}
	b = append(b, `,"policy":`...)
	b = appendJSONString(b, v.Policy.Version())
	b = append(b, "}\n"...)
	j.buf = b
	j.w.Write(b)
}

// rejectCode is the answer a reject would carry.
func rejectCode(m *view.Message, v *engine.Verdict) uint32 {
	if v.ResultCode != 0 {
		return v.ResultCode
	}
	if m.Protocol == view.Diameter {
		return diameter.ResultUnableToComply
	}
	return 0
}

func (j *jsonSink) summary(s *Summary) {
	writeSummary(j.diag, s)
}

func (j *jsonSink) flush() error {
	if err := j.w.Flush(); err != nil {
		return err
	}
	return j.diag.Flush()
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as a JSON string. Message fields are bytes
// from the network, so every control and non-ASCII byte is escaped and
// invalid UTF-8 cannot break the output.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
