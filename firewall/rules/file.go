package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"breakwater/internal/strictyaml"
	"breakwater/protocols/view"

	"go.yaml.in/yaml/v3"
)

// fileRules is the rule file's schema.
type fileRules struct {
	// Disable switches off baseline rules by id.
	Disable []ruleRef `yaml:"disable"`
	// Override changes the action of baseline rules.
	Override []override `yaml:"override"`
	// Rules are the operator's own rules, evaluated in order after the
	// guards and before the baseline.
	Rules []fileRule `yaml:"rules"`
}

type override struct {
	ID         ruleRef    `yaml:"id,required"`
	Action     actionName `yaml:"action,required"`
	ResultCode uint32     `yaml:"result_code"`
}

type fileRule struct {
	ID          ruleID       `yaml:"id,required"`
	Description string       `yaml:"description"`
	Category    categoryName `yaml:"category"`
	Protocols   []protoName  `yaml:"protocols"`
	From        []senderName `yaml:"from"`
	Match       exprSource   `yaml:"match,required"`
	Action      actionName   `yaml:"action,required"`
	ResultCode  uint32       `yaml:"result_code"`
}

type ruleRef struct {
	ID   string
	Line int
	Col  int
}

func (r *ruleRef) UnmarshalStrictYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Value == "" {
		return fmt.Errorf("expected a rule id")
	}
	r.ID, r.Line, r.Col = n.Value, n.Line, n.Column
	return nil
}

type ruleID struct{ ruleRef }

func (r *ruleID) UnmarshalStrictYAML(n *yaml.Node) error {
	if err := r.ruleRef.UnmarshalStrictYAML(n); err != nil {
		return err
	}
	if len(r.ID) > 64 || strings.Trim(r.ID, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != "" {
		return fmt.Errorf("rule id %q: use 1 to 64 letters, digits, '-', '_' or '.'", r.ID)
	}
	return nil
}

type actionName struct{ Action }

func (a *actionName) UnmarshalStrictYAML(n *yaml.Node) error {
	act, ok := ParseAction(n.Value)
	if n.Kind != yaml.ScalarNode || !ok {
		return fmt.Errorf("action %q: use allow, drop, reject or log", n.Value)
	}
	a.Action = act
	return nil
}

type categoryName struct{ Category }

func (c *categoryName) UnmarshalStrictYAML(n *yaml.Node) error {
	cat, ok := ParseCategory(n.Value)
	if n.Kind != yaml.ScalarNode || !ok {
		return fmt.Errorf("category %q: use 1, 2, 3, malformed, source or other", n.Value)
	}
	c.Category = cat
	return nil
}

type senderName struct{ Senders }

func (s *senderName) UnmarshalStrictYAML(n *yaml.Node) error {
	k, ok := ParseSender(n.Value)
	if n.Kind != yaml.ScalarNode || !ok {
		return fmt.Errorf("from %q: use partner, home or unknown", n.Value)
	}
	s.Senders = k
	return nil
}

type protoName struct{ view.Protocol }

func (p *protoName) UnmarshalStrictYAML(n *yaml.Node) error {
	proto, ok := view.ParseProtocol(n.Value)
	if n.Kind != yaml.ScalarNode || !ok {
		return fmt.Errorf("protocol %q: use diameter, gtpv1c, gtpv2c or map", n.Value)
	}
	p.Protocol = proto
	return nil
}

// exprSource keeps a match expression with where it starts in the file.
type exprSource struct {
	Src         string
	Line, Col   int
	blockScalar bool
	quoted      bool
}

func (e *exprSource) UnmarshalStrictYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || strings.TrimSpace(n.Value) == "" {
		return fmt.Errorf("match: expected an expression such as 'op == \"IDR\" && home_imsi'")
	}
	e.Src, e.Line, e.Col = n.Value, n.Line, n.Column
	e.blockScalar = n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	e.quoted = n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0
	return nil
}

// position maps a position inside the expression to the file.
func (e *exprSource) position(x *ExprError) (line, col int) {
	switch {
	case e.blockScalar:
		return e.Line + x.Line, e.Col + x.Col - 1
	case x.Line > 1:
		return e.Line + x.Line - 1, x.Col
	case e.quoted:
		return e.Line, e.Col + x.Col
	}
	return e.Line, e.Col + x.Col - 1
}

// BaselineVersion changes whenever the built-in rules change meaning.
const BaselineVersion = "gsma-baseline-1"

// Load reads a rule file and combines it with the baseline. An empty path
// yields the baseline alone.
func Load(path string, baseline []*Rule) (*Set, error) {
	if path == "" {
		return Parse("", nil, baseline)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading rule file: %w", err)
	}
	// An empty file is refused: an editor saving in place truncates
	// before it writes, and a reload caught in between must not put a
	// policy without the operator's rules in force.
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%s:1: the rule file is empty (a save in progress?); for no rules of your own write `rules: []`", path)
	}
	return Parse(path, data, baseline)
}

// Parse compiles rule-file bytes (named path in messages) with the
// baseline into a Set. Either every rule compiles or an error listing every
// problem as "file:line:col: ..." is returned.
func Parse(path string, data []byte, baseline []*Rule) (*Set, error) {
	var f fileRules
	var errs strictyaml.Errors
	if len(data) > 0 {
		// Keep going after decoding errors so that one run reports bad
		// expressions too; the set is only built when there are none.
		if err := strictyaml.Decode(path, data, &f); err != nil {
			es, ok := err.(strictyaml.Errors)
			if !ok {
				return nil, err
			}
			errs = append(errs, es...)
		}
	}
	fail := func(line, col int, format string, args ...any) {
		errs = append(errs, &strictyaml.Error{File: path, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)})
	}

	byID := map[string]*Rule{}
	var all []*Rule
	for _, b := range baseline {
		r := b.clone()
		byID[r.ID] = r
		all = append(all, r)
	}
	disabled := map[string]bool{}
	for _, d := range f.Disable {
		if byID[d.ID] == nil {
			fail(d.Line, d.Col, "disable: no baseline rule %q; `breakwater rules list` shows the ids", d.ID)
			continue
		}
		disabled[d.ID] = true
	}
	for _, o := range f.Override {
		r := byID[o.ID.ID]
		if r == nil {
			fail(o.ID.Line, o.ID.Col, "override: no baseline rule %q; `breakwater rules list` shows the ids", o.ID.ID)
			continue
		}
		r.Action = o.Action.Action
		if o.ResultCode != 0 {
			r.ResultCode = o.ResultCode
		}
		r.Origin = fmt.Sprintf("baseline, action from %s:%d", path, o.ID.Line)
	}
	for _, fr := range f.Rules {
		if fr.ID.ID == "" || fr.Match.Src == "" {
			continue // already reported by the decoder
		}
		if prev := byID[fr.ID.ID]; prev != nil {
			fail(fr.ID.Line, fr.ID.Col, "rule id %q is already used by %s", fr.ID.ID, prev.Origin)
			continue
		}
		match, err := CompileExpr(fr.Match.Src)
		if err != nil {
			x, ok := err.(*ExprError)
			if !ok {
				x = &ExprError{Line: 1, Col: 1, Msg: err.Error()}
			}
			line, col := fr.Match.position(x)
			fail(line, col, "rule %s: match: %s", fr.ID.ID, x.Msg)
			continue
		}
		cat := fr.Category.Category
		if cat == "" {
			cat = Other
		}
		var protos []view.Protocol
		for _, p := range fr.Protocols {
			protos = append(protos, p.Protocol)
		}
		var from Senders
		for _, f := range fr.From {
			from |= f.Senders
		}
		r := &Rule{
			ID: fr.ID.ID, Category: cat, Tier: TierCustom, Protocols: protos, From: from,
			Description: fr.Description, Action: fr.Action.Action, ResultCode: fr.ResultCode,
			Origin: fmt.Sprintf("%s:%d", path, fr.ID.Line), Expr: fr.Match.Src, Match: match,
		}
		byID[r.ID] = r
		all = append(all, r)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	var enabled, off []*Rule
	for _, r := range all {
		if disabled[r.ID] {
			off = append(off, r)
		} else {
			enabled = append(enabled, r)
		}
	}
	s := NewSet(enabled)
	s.Disabled = off
	s.Source = path
	s.LoadedAt = time.Now()
	sum := sha256.Sum256(data)
	s.Version = BaselineVersion
	if path != "" {
		s.Version += "+" + hex.EncodeToString(sum[:6])
	}
	return s, nil
}
