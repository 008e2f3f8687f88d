// Package strictyaml decodes YAML configuration into Go structs the way an
// operator needs it: unknown keys, duplicate keys, wrong kinds and bad values
// are all reported as "file:line:col: what is wrong", every error in one
// pass, instead of being silently ignored or reported without a position.
//
// Struct fields are named by `yaml:"name"` tags; `yaml:"name,required"`
// makes a key mandatory. Supported field types: structs, pointers to structs
// (optional sections), slices, strings, bools, integers, float64,
// time.Duration (written "30s", "1h") and any type implementing Unmarshaler.
package strictyaml

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Unmarshaler is implemented by field types that parse and validate their
// own node. A returned error is reported at the node's position unless it is
// already an *Error.
type Unmarshaler interface {
	UnmarshalStrictYAML(n *yaml.Node) error
}

// Error is one problem at one place in one file.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Errors is every problem found in one file, in file order.
type Errors []*Error

func (es Errors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// maxErrors stops a badly broken file from producing pages of output.
const maxErrors = 25

// Decode parses data (read from file, used in messages) into out, which
// must be a pointer to a struct. It returns nil or an Errors value.
func Decode(file string, data []byte, out any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Errors{syntaxError(file, err)}
	}
	d := &decoder{file: file}
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		panic("strictyaml: Decode needs a pointer to a struct")
	}
	if doc.Kind == 0 || len(doc.Content) == 0 || doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null" {
		// An empty file (or one holding only "---", "~" or comments)
		// decodes to the zero value; required keys still count.
		d.decodeStruct(&yaml.Node{Kind: yaml.MappingNode, Line: 1, Column: 1}, rv.Elem(), "")
	} else {
		d.decode(doc.Content[0], rv.Elem(), "")
	}
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			if d.errs[i].Line != d.errs[j].Line {
				return d.errs[i].Line < d.errs[j].Line
			}
			return d.errs[i].Col < d.errs[j].Col
		})
		return d.errs
	}
	return nil
}

// At returns an error positioned at n, for validations done after decoding.
func At(file string, n *yaml.Node, format string, args ...any) *Error {
	e := &Error{File: file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	return e
}

// syntaxError turns yaml.v3's "yaml: line 3: ..." into a positioned error.
func syntaxError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file, Msg: msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if n, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				e.Line, e.Col = n, 1
				e.Msg = strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return e
}

type decoder struct {
	file string
	errs Errors
}

func (d *decoder) fail(n *yaml.Node, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	d.errs = append(d.errs, At(d.file, n, format, args...))
}

var (
	unmarshalerType = reflect.TypeFor[Unmarshaler]()
	durationType    = reflect.TypeFor[time.Duration]()
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		d.fail(n, "%s: YAML aliases are not supported in configuration; write the value out", where(path))
		return
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(Unmarshaler).UnmarshalStrictYAML(n); err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				if pe.File == "" {
					pe.File = d.file
				}
				if len(d.errs) < maxErrors {
					d.errs = append(d.errs, pe)
				}
			} else {
				d.fail(n, "%s: %v", where(path), err)
			}
		}
		return
	}
	if v.Type() == durationType {
		s, ok := d.scalar(n, path, "a duration such as \"30s\" or \"1h\"")
		if !ok {
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil || dur < 0 {
			d.fail(n, "%s: %q is not a duration; write e.g. \"500ms\", \"30s\", \"24h\"", where(path), s)
			return
		}
		v.SetInt(int64(dur))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Pointer:
		if n.Tag == "!!null" {
			return
		}
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Slice:
		if n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(n, "%s: expected a list, found %s", where(path), kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.String:
		if s, ok := d.scalar(n, path, "a string"); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		s, ok := d.scalar(n, path, "true or false")
		if !ok {
			return
		}
		switch s {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			d.fail(n, "%s: expected true or false, found %q", where(path), s)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s, ok := d.scalar(n, path, "an integer")
		if !ok {
			return
		}
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			d.fail(n, "%s: expected an integer, found %q", where(path), s)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s, ok := d.scalar(n, path, "a non-negative integer")
		if !ok {
			return
		}
		u, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			d.fail(n, "%s: expected a non-negative integer that fits %d bits, found %q", where(path), v.Type().Bits(), s)
			return
		}
		v.SetUint(u)
	case reflect.Float64:
		s, ok := d.scalar(n, path, "a number")
		if !ok {
			return
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, "%s: expected a number, found %q", where(path), s)
			return
		}
		v.SetFloat(f)
	default:
		panic("strictyaml: unsupported field type " + v.Type().String())
	}
}

// scalar returns a scalar node's text, or reports what was expected.
func (d *decoder) scalar(n *yaml.Node, path, want string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.fail(n, "%s: expected %s, found %s", where(path), want, kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, "%s: expected a mapping of keys, found %s", where(path), kindName(n))
		return
	}
	fields := fieldsOf(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		if prev, dup := seen[key]; dup {
			d.fail(k, "%s: key %q repeated (first at line %d); keep one", where(path), key, prev.Line)
			continue
		}
		seen[key] = k
		f, ok := fields.byName[key]
		if !ok {
			d.fail(k, "%s: unknown key %q%s (known keys: %s)", where(path), key, suggest(key, fields.names), strings.Join(fields.names, ", "))
			continue
		}
		before := len(d.errs)
		fv := v.FieldByIndex(f.index)
		d.decode(val, fv, join(path, key))
		if len(d.errs) == before {
			d.checkBounds(val, fv, f, join(path, key))
		}
	}
	for _, name := range fields.names {
		if f := fields.byName[name]; f.required && seen[name] == nil {
			d.fail(n, "%s: missing required key %q", where(path), name)
		}
	}
}

type field struct {
	index    []int
	required bool
	min, max string // optional bounds from `min:"…"` and `max:"…"` tags
}

type structFields struct {
	byName map[string]field
	names  []string
}

// fieldsOf lists the keys of a struct type; embedded structs tagged
// `yaml:",inline"` contribute their keys as if declared in the outer struct.
func fieldsOf(t reflect.Type) structFields {
	sf := structFields{byName: map[string]field{}}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			index := append(append([]int(nil), prefix...), i)
			name, opts, _ := strings.Cut(tag, ",")
			if opts == "inline" {
				walk(f.Type, index)
				continue
			}
			sf.byName[name] = field{index: index, required: opts == "required", min: f.Tag.Get("min"), max: f.Tag.Get("max")}
			sf.names = append(sf.names, name)
		}
	}
	walk(t, nil)
	return sf
}

// checkBounds enforces `min`/`max` tags on numbers and durations.
func (d *decoder) checkBounds(n *yaml.Node, v reflect.Value, f field, path string) {
	if f.min == "" && f.max == "" {
		return
	}
	if v.Type() == durationType {
		got := time.Duration(v.Int())
		if lo, err := time.ParseDuration(f.min); err == nil && f.min != "" && got < lo {
			d.fail(n, "%s: %s is below the minimum %s", where(path), got, lo)
		}
		if hi, err := time.ParseDuration(f.max); err == nil && f.max != "" && got > hi {
			d.fail(n, "%s: %s is above the maximum %s", where(path), got, hi)
		}
		return
	}
	var got float64
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		got = float64(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		got = float64(v.Uint())
	case reflect.Float64:
		got = v.Float()
	default:
		panic("strictyaml: min/max on a non-numeric field at " + path)
	}
	if lo, err := strconv.ParseFloat(f.min, 64); err == nil && got < lo {
		d.fail(n, "%s: %v is below the minimum %s", where(path), n.Value, f.min)
	}
	if hi, err := strconv.ParseFloat(f.max, 64); err == nil && got > hi {
		d.fail(n, "%s: %v is above the maximum %s", where(path), n.Value, f.max)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func where(path string) string {
	if path == "" {
		return "top level"
	}
	return path
}

// suggest proposes the closest known key for a likely typo.
func suggest(key string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(key, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
