package strictyaml

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// colour implements Unmarshaler: it accepts a few names and reports others.
type colour string

func (c *colour) UnmarshalStrictYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("expected a colour name")
	}
	switch n.Value {
	case "red", "green", "blue":
		*c = colour(n.Value)
		return nil
	case "here":
		// An *Error without a file: Decode fills in the file name and keeps
		// the position the Unmarshaler chose.
		return &Error{Line: 99, Col: 7, Msg: "positioned by the unmarshaler"}
	case "there":
		return At("", n, "an *Error at the node")
	}
	return fmt.Errorf("unknown colour %q", n.Value)
}

type server struct {
	Host string `yaml:"host,required"`
	Port int    `yaml:"port" min:"1" max:"65535"`
}

// Common is inlined into testConfig.
type Common struct {
	Label  string  `yaml:"label"`
	Weight float64 `yaml:"weight" min:"0.5" max:"10"`
}

type testConfig struct {
	Name    string        `yaml:"name,required"`
	Enabled bool          `yaml:"enabled"`
	Count   int           `yaml:"count" min:"-5" max:"100"`
	Small   int8          `yaml:"small"`
	Size    uint16        `yaml:"size"`
	Big     uint64        `yaml:"big" max:"1000"`
	Ratio   float64       `yaml:"ratio"`
	Timeout time.Duration `yaml:"timeout" min:"100ms" max:"1h"`
	Plain   time.Duration `yaml:"plain"`
	Tags    []string      `yaml:"tags"`
	Server  server        `yaml:"server"`
	Backup  *server       `yaml:"backup"`
	Servers []server      `yaml:"servers"`
	Colour  colour        `yaml:"colour"`
	Colours []colour      `yaml:"colours"`
	Common  `yaml:",inline"`
	Skipped string `yaml:"-"`
	NoTag   string
}

const knownKeys = "name, enabled, count, small, size, big, ratio, timeout, plain, tags, server, backup, servers, colour, colours, label, weight"

func TestDecodeHappy(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want testConfig
	}{
		{
			name: "minimal",
			yaml: "name: x\n",
			want: testConfig{Name: "x"},
		},
		{
			name: "everything",
			yaml: `
name: gateway
enabled: true
count: -5
small: -128
size: 65535
big: 016
ratio: 2.5e-1
timeout: 1h
plain: 1m30s
tags: [a, "b", 'c']
server:
  host: h1
  port: 65535
backup:
  host: h2
servers:
  - host: s1
    port: 1
  - {host: s2}
colour: red
colours: [green, blue]
label: inline label
weight: 10
`,
			want: testConfig{
				Name: "gateway", Enabled: true, Count: -5, Small: -128, Size: 65535, Big: 16,
				Ratio: 0.25, Timeout: time.Hour, Plain: 90 * time.Second,
				Tags:    []string{"a", "b", "c"},
				Server:  server{Host: "h1", Port: 65535},
				Backup:  &server{Host: "h2"},
				Servers: []server{{Host: "s1", Port: 1}, {Host: "s2"}},
				Colour:  "red", Colours: []colour{"green", "blue"},
				Common: Common{Label: "inline label", Weight: 10},
			},
		},
		{
			name: "bounds are inclusive",
			yaml: "name: x\ncount: 100\nweight: 0.5\ntimeout: 100ms\nbig: 1000\n",
			want: testConfig{Name: "x", Count: 100, Big: 1000, Timeout: 100 * time.Millisecond, Common: Common{Weight: 0.5}},
		},
		{
			name: "null optional values stay zero",
			yaml: "name: x\ntags:\nbackup: ~\nservers: null\n",
			want: testConfig{Name: "x"},
		},
		{
			name: "empty list",
			yaml: "name: x\ntags: []\n",
			want: testConfig{Name: "x", Tags: []string{}},
		},
		{
			name: "quoted scalars convert",
			yaml: "name: \"123\"\ncount: \"7\"\nenabled: 'false'\n",
			want: testConfig{Name: "123", Count: 7},
		},
		{
			name: "anchors without aliases are fine",
			yaml: "name: &n x\n",
			want: testConfig{Name: "x"},
		},
		{
			name: "only the first document is read",
			yaml: "name: one\n---\nname: two\nbogus: 1\n",
			want: testConfig{Name: "one"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testConfig
			if err := Decode("t.yaml", []byte(tt.yaml), &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// wantErr is one expected error: its position and a substring of its message.
type wantErr struct {
	line, col int
	msg       string
}

func checkErrors(t *testing.T, err error, file string, want []wantErr) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v", want)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %T %v is not Errors", err, err)
	}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(es), len(want), err)
	}
	for i, w := range want {
		e := es[i]
		if e.File != file || e.Line != w.line || e.Col != w.col || !strings.Contains(e.Msg, w.msg) {
			t.Errorf("error %d = %q (at %d:%d), want %s:%d:%d containing %q", i, e.Error(), e.Line, e.Col, file, w.line, w.col, w.msg)
		}
		prefix := fmt.Sprintf("%s:%d:%d: ", file, w.line, w.col)
		if w.line == 0 {
			prefix = file + ": "
		}
		if !strings.HasPrefix(e.Error(), prefix) {
			t.Errorf("error %d text %q does not start with %q", i, e.Error(), prefix)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []wantErr
	}{
		// Keys.
		{"unknown key with suggestion", "name: x\nnmae: y\n",
			[]wantErr{{2, 1, `top level: unknown key "nmae"; did you mean "name"? (known keys: ` + knownKeys + ")"}}},
		{"unknown key without suggestion", "name: x\nzzzzzzzz: y\n",
			[]wantErr{{2, 1, `top level: unknown key "zzzzzzzz" (known keys: `}}},
		{"unknown nested key", "name: x\nserver:\n  host: h\n  prot: 1\n",
			[]wantErr{{4, 3, `server: unknown key "prot"; did you mean "port"? (known keys: host, port)`}}},
		{"unknown key in list element", "name: x\nservers:\n  - host: a\n  - hots: b\n",
			[]wantErr{{4, 5, `servers[1]: unknown key "hots"; did you mean "host"?`}, {4, 5, `servers[1]: missing required key "host"`}}},
		{"inline struct key suggestion", "name: x\nlable: y\n",
			[]wantErr{{2, 1, `unknown key "lable"; did you mean "label"?`}}},
		{"yaml:\"-\" field is not a key", "name: x\nSkipped: y\n",
			[]wantErr{{2, 1, `unknown key "Skipped"`}}},
		{"untagged field is not a key", "name: x\nNoTag: y\n",
			[]wantErr{{2, 1, `unknown key "NoTag"`}}},
		{"duplicate key", "name: x\ncount: 1\nname: y\n",
			[]wantErr{{3, 1, `top level: key "name" repeated (first at line 1); keep one`}}},
		{"duplicate nested key", "name: x\nserver:\n  host: a\n  port: 1\n  host: b\n",
			[]wantErr{{5, 3, `server: key "host" repeated (first at line 3)`}}},
		{"missing required", "count: 1\n",
			[]wantErr{{1, 1, `top level: missing required key "name"`}}},
		{"missing required nested", "name: x\nserver:\n  port: 1\n",
			[]wantErr{{3, 3, `server: missing required key "host"`}}},
		{"missing required in pointer section", "name: x\nbackup: {port: 2}\n",
			[]wantErr{{2, 9, `backup: missing required key "host"`}}},

		// Kinds.
		{"list expected", "name: x\ntags: foo\n",
			[]wantErr{{2, 7, `tags: expected a list, found "foo"`}}},
		{"list expected, mapping found", "name: x\ntags: {a: 1}\n",
			[]wantErr{{2, 7, `tags: expected a list, found a mapping`}}},
		{"mapping expected, list found", "name: x\nserver: [a]\n",
			[]wantErr{{2, 9, `server: expected a mapping of keys, found a list`}}},
		{"mapping expected, scalar found", "name: x\nserver: h\n",
			[]wantErr{{2, 9, `server: expected a mapping of keys, found "h"`}}},
		{"mapping expected at top level", "- a\n- b\n",
			[]wantErr{{1, 1, `top level: expected a mapping of keys, found a list`}}},
		{"scalar expected, list found", "name: [a]\n",
			[]wantErr{{1, 7, `name: expected a string, found a list`}}},
		{"scalar expected, mapping found", "name: {a: b}\n",
			[]wantErr{{1, 7, `name: expected a string, found a mapping`}}},
		{"scalar expected, empty found", "name:\n",
			[]wantErr{{1, 6, `name: expected a string, found empty`}}},
		{"list element of wrong kind", "name: x\ntags: [a, [b]]\n",
			[]wantErr{{2, 11, `tags[1]: expected a string, found a list`}}},

		// Scalars.
		{"bad bool", "name: x\nenabled: yes\n",
			[]wantErr{{2, 10, `enabled: expected true or false, found "yes"`}}},
		{"bad bool capitalised", "name: x\nenabled: True\n",
			[]wantErr{{2, 10, `enabled: expected true or false, found "True"`}}},
		{"bad int", "name: x\ncount: ten\n",
			[]wantErr{{2, 8, `count: expected an integer, found "ten"`}}},
		{"int with fraction", "name: x\ncount: 1.5\n",
			[]wantErr{{2, 8, `count: expected an integer, found "1.5"`}}},
		{"int8 overflow", "name: x\nsmall: 128\n",
			[]wantErr{{2, 8, `small: expected an integer, found "128"`}}},
		{"int empty", "name: x\ncount:\n",
			[]wantErr{{2, 7, `count: expected an integer, found empty`}}},
		{"bad uint negative", "name: x\nsize: -1\n",
			[]wantErr{{2, 7, `size: expected a non-negative integer that fits 16 bits, found "-1"`}}},
		{"bad uint overflow", "name: x\nsize: 65536\n",
			[]wantErr{{2, 7, `size: expected a non-negative integer that fits 16 bits, found "65536"`}}},
		{"bad float", "name: x\nratio: fast\n",
			[]wantErr{{2, 8, `ratio: expected a number, found "fast"`}}},
		{"float NaN", "name: x\nratio: NaN\n",
			[]wantErr{{2, 8, `ratio: expected a number, found "NaN"`}}},
		{"float infinity", "name: x\nratio: Inf\n",
			[]wantErr{{2, 8, `ratio: expected a number, found "Inf"`}}},
		{"float YAML infinity", "name: x\nratio: .inf\n",
			[]wantErr{{2, 8, `ratio: expected a number, found ".inf"`}}},
		{"bad duration no unit", "name: x\nplain: 30\n",
			[]wantErr{{2, 8, `plain: "30" is not a duration; write e.g. "500ms", "30s", "24h"`}}},
		{"bad duration word", "name: x\nplain: soon\n",
			[]wantErr{{2, 8, `plain: "soon" is not a duration`}}},
		{"negative duration", "name: x\nplain: -1s\n",
			[]wantErr{{2, 8, `plain: "-1s" is not a duration`}}},
		{"duration list", "name: x\nplain: [1s]\n",
			[]wantErr{{2, 8, `plain: expected a duration such as "30s" or "1h", found a list`}}},

		// Bounds.
		{"int below min", "name: x\ncount: -6\n",
			[]wantErr{{2, 8, `count: -6 is below the minimum -5`}}},
		{"int above max", "name: x\ncount: 101\n",
			[]wantErr{{2, 8, `count: 101 is above the maximum 100`}}},
		{"nested int below min", "name: x\nserver: {host: h, port: 0}\n",
			[]wantErr{{2, 25, `server.port: 0 is below the minimum 1`}}},
		{"list element above max", "name: x\nservers:\n  - host: h\n    port: 65536\n",
			[]wantErr{{4, 11, `servers[0].port: 65536 is above the maximum 65535`}}},
		{"uint above max", "name: x\nbig: 1001\n",
			[]wantErr{{2, 6, `big: 1001 is above the maximum 1000`}}},
		{"float below min", "name: x\nweight: 0.4\n",
			[]wantErr{{2, 9, `weight: 0.4 is below the minimum 0.5`}}},
		{"float above max", "name: x\nweight: 10.01\n",
			[]wantErr{{2, 9, `weight: 10.01 is above the maximum 10`}}},
		{"duration below min", "name: x\ntimeout: 99ms\n",
			[]wantErr{{2, 10, `timeout: 99ms is below the minimum 100ms`}}},
		{"duration zero below min", "name: x\ntimeout: 0s\n",
			[]wantErr{{2, 10, `timeout: 0s is below the minimum 100ms`}}},
		{"duration above max", "name: x\ntimeout: 61m\n",
			[]wantErr{{2, 10, `timeout: 1h1m0s is above the maximum 1h0m0s`}}},
		{"bad value is not also a bound error", "name: x\ncount: abc\n",
			[]wantErr{{2, 8, `count: expected an integer, found "abc"`}}},

		// Aliases.
		{"alias rejected", "name: &n x\nlabel: *n\n",
			[]wantErr{{2, 8, `label: YAML aliases are not supported in configuration; write the value out`}}},
		{"alias of a mapping rejected", "name: x\nserver: &s {host: h}\nbackup: *s\n",
			[]wantErr{{3, 9, `backup: YAML aliases are not supported`}}},
		{"alias in a list rejected", "name: x\ntags: [&t a, *t]\n",
			[]wantErr{{2, 14, `tags[1]: YAML aliases are not supported`}}},
		{"alias to an Unmarshaler rejected before it runs", "name: x\ncolours: [&c red, *c]\n",
			[]wantErr{{2, 19, `colours[1]: YAML aliases are not supported`}}},
		{"merge key rejected", "name: x\nserver: &s {host: h}\nbackup:\n  <<: *s\n",
			[]wantErr{{4, 3, `backup: unknown key "<<"`}, {4, 3, `backup: missing required key "host"`}}},

		// Unmarshaler.
		{"unmarshaler error at its node", "name: x\ncolour: purple\n",
			[]wantErr{{2, 9, `colour: unknown colour "purple"`}}},
		{"unmarshaler error in a list", "name: x\ncolours:\n  - red\n  - mauve\n",
			[]wantErr{{4, 5, `colours[1]: unknown colour "mauve"`}}},
		{"unmarshaler *Error keeps its position and gets the file", "name: x\ncolour: here\n",
			[]wantErr{{99, 7, `positioned by the unmarshaler`}}},
		{"unmarshaler *Error at the node", "name: x\ncolours: [red, there]\n",
			[]wantErr{{2, 16, `an *Error at the node`}}},
		{"unmarshaler sees the node kind", "name: x\ncolour: [red]\n",
			[]wantErr{{2, 9, `colour: expected a colour name`}}},

		// Empty documents still need their required keys.
		{"empty file", "", []wantErr{{1, 1, `top level: missing required key "name"`}}},
		{"comments only", "# nothing here\n", []wantErr{{1, 1, `top level: missing required key "name"`}}},
		{"document marker only", "---\n", []wantErr{{1, 1, `top level: missing required key "name"`}}},
		{"null document", "~\n", []wantErr{{1, 1, `top level: missing required key "name"`}}},

		// Syntax errors carry yaml.v3's line.
		{"syntax error: tab indentation", "name: x\n\tcount: 2\n",
			[]wantErr{{2, 1, `found a tab character that violates indentation`}}},

		// Several errors come back together, sorted by position.
		{"many errors sorted", "count: abc\nserver: [x]\nenabled: maybe\nname: x\nname: y\n",
			[]wantErr{
				{1, 8, `count: expected an integer`},
				{2, 9, `server: expected a mapping`},
				{3, 10, `enabled: expected true or false`},
				{5, 1, `key "name" repeated`},
			}},
		{"required reported after nested errors, sorted", "server:\n  port: 0\n",
			[]wantErr{
				{1, 1, `top level: missing required key "name"`},
				{2, 3, `server: missing required key "host"`},
				{2, 9, `server.port: 0 is below the minimum 1`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testConfig
			err := Decode("conf/t.yaml", []byte(tt.yaml), &got)
			checkErrors(t, err, "conf/t.yaml", tt.want)
		})
	}
}

// TestSyntaxErrors checks that parse errors become one positioned Error.
// yaml.v3 only reports a line, and for parser (as opposed to scanner) errors
// that line is where the enclosing construct started, sometimes one line
// early; so beyond the exact tab case above this only requires a line inside
// the file.
func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		name, yaml, msg string
	}{
		{"unclosed flow list", "name: x\ntags: [a, b\ncount: 1\n", `did not find expected ',' or ']'`},
		{"unterminated quote", "name: x\nlabel: 'abc\n", `found unexpected end of stream`},
		{"bad indentation", "name: x\nserver:\n  host: a\n port: 1\n", `did not find expected key`},
		{"mapping value in scalar", "name: x\nlabel: a: b\n", `mapping values are not allowed in this context`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decode("f.yaml", []byte(tt.yaml), &testConfig{})
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("got %v, want one syntax error", err)
			}
			e := es[0]
			lines := strings.Count(tt.yaml, "\n") + 1
			if e.File != "f.yaml" || e.Line < 1 || e.Line > lines || e.Col != 1 || !strings.Contains(e.Msg, tt.msg) {
				t.Errorf("got %q, want f.yaml:<1..%d>:1 containing %q", e.Error(), lines, tt.msg)
			}
			if strings.Contains(e.Msg, "yaml:") || strings.Contains(e.Msg, "line ") {
				t.Errorf("message %q still carries yaml.v3's prefix", e.Msg)
			}
		})
	}
	// yaml.v3 omits the line for some scanner errors on the first line; the
	// error is still attributed to the file, without a position.
	err := Decode("f.yaml", []byte("a: b: c\n"), &testConfig{})
	checkErrors(t, err, "f.yaml", []wantErr{{0, 0, "mapping values are not allowed in this context"}})
}

func TestErrorCap(t *testing.T) {
	tests := []struct {
		name string
		yaml string
	}{
		{"unknown keys", func() string {
			var b strings.Builder
			b.WriteString("name: x\n")
			for i := range 40 {
				fmt.Fprintf(&b, "bogus%d: 1\n", i)
			}
			return b.String()
		}()},
		{"unmarshaler errors", func() string {
			var b strings.Builder
			b.WriteString("name: x\ncolours:\n")
			for i := range 40 {
				fmt.Fprintf(&b, "  - c%d\n", i)
			}
			return b.String()
		}()},
		{"unmarshaler *Errors", func() string {
			var b strings.Builder
			b.WriteString("name: x\ncolours:\n")
			for range 40 {
				b.WriteString("  - there\n")
			}
			return b.String()
		}()},
		{"bound errors", func() string {
			var b strings.Builder
			b.WriteString("name: x\nservers:\n")
			for range 40 {
				b.WriteString("  - {host: h, port: 0}\n")
			}
			return b.String()
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decode("t.yaml", []byte(tt.yaml), &testConfig{})
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("got %v, want Errors", err)
			}
			if len(es) != maxErrors {
				t.Fatalf("got %d errors, want the cap of %d", len(es), maxErrors)
			}
			for i := 1; i < len(es); i++ {
				if es[i].Line < es[i-1].Line || es[i].Line == es[i-1].Line && es[i].Col < es[i-1].Col {
					t.Fatalf("errors not sorted: %v before %v", es[i-1], es[i])
				}
			}
			// The first errors of the file are the ones kept.
			if es[0].Line != 2 && es[0].Line != 3 {
				t.Errorf("first kept error is at line %d, want the start of the file", es[0].Line)
			}
		})
	}
}

func TestErrorFormatting(t *testing.T) {
	es := Errors{
		{File: "a.yaml", Line: 3, Col: 5, Msg: "first"},
		{File: "a.yaml", Msg: "no position"},
	}
	if got, want := es.Error(), "a.yaml:3:5: first\na.yaml: no position"; got != want {
		t.Errorf("Errors.Error() = %q, want %q", got, want)
	}
	n := &yaml.Node{Line: 7, Column: 2}
	if got, want := At("b.yaml", n, "bad %s", "thing").Error(), "b.yaml:7:2: bad thing"; got != want {
		t.Errorf("At = %q, want %q", got, want)
	}
	if got, want := At("b.yaml", nil, "late").Error(), "b.yaml: late"; got != want {
		t.Errorf("At(nil) = %q, want %q", got, want)
	}
}

func TestDecodeLeavesUnsetFieldsAlone(t *testing.T) {
	// Keys that are absent keep whatever the caller put there (defaults).
	got := testConfig{Count: 42, Tags: []string{"keep"}}
	if err := Decode("t.yaml", []byte("name: x\n"), &got); err != nil {
		t.Fatal(err)
	}
	if got.Count != 42 || len(got.Tags) != 1 {
		t.Errorf("unset fields changed: %+v", got)
	}
}

func TestDecodePanicsOnNonStruct(t *testing.T) {
	for _, out := range []any{testConfig{}, new(int), nil} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Decode(%T) did not panic", out)
				}
			}()
			_ = Decode("t.yaml", []byte("name: x\n"), out)
		}()
	}
}

func TestEditDistanceAndSuggest(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "abc", 0},
		{"abc", "", 3},
		{"parnters", "partners", 2},
		{"kitten", "sitting", 3},
		{"name", "nmae", 2},
		{strings.Repeat("a", 65), "a", 99},
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
	names := []string{"home", "partners", "rules"}
	if got := suggest("parnters", names); got != `; did you mean "partners"?` {
		t.Errorf("suggest(parnters) = %q", got)
	}
	if got := suggest("velocity", names); got != "" {
		t.Errorf("suggest(velocity) = %q, want none", got)
	}
}
