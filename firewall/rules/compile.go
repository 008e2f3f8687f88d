package rules

import (
	"fmt"
	"regexp"
	"strings"

	"breakwater/protocols/diameter"
	"breakwater/protocols/view"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
)

// Rule expressions are written in the expr language
// (github.com/expr-lang/expr), which parses and type-checks them against the
// variables and functions below when the rule file is loaded. Breakwater
// then compiles the checked tree into Go closures itself instead of running
// expr's virtual machine: the closures read the message view directly, so
// judging a message allocates nothing, and anything outside the supported
// subset is refused at load time rather than being slow or surprising at
// run time.

// value is a compiled sub-expression of one kind, or a constant.
type value struct {
	kind kind
	b    func(*Context) bool
	i    func(*Context) int64
	s    func(*Context) string

	isConst bool
	cb      bool
	ci      int64
	cs      string
	list    []value // constant array elements (only for `in` and has_prefix)
	isList  bool
}

// ExprError is a problem in one rule expression, positioned within it.
type ExprError struct {
	Line, Col int // 1-based, within the expression text
	Msg       string
}

func (e *ExprError) Error() string { return e.Msg }

// CompileExpr type-checks and compiles a boolean rule expression.
func CompileExpr(src string) (func(*Context) bool, error) {
	opts := []expr.Option{expr.Env(exprEnv()), expr.AsBool(), expr.Optimize(false), expr.DisableAllBuiltins()}
	for _, f := range functions {
		opts = append(opts, expr.Function(f.name, neverCalled, f.types...))
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		if fe, ok := err.(*file.Error); ok {
			return nil, &ExprError{Line: fe.Line, Col: fe.Column + 1, Msg: fe.Message}
		}
		return nil, &ExprError{Line: 1, Col: 1, Msg: err.Error()}
	}
	c := &compiler{src: src}
	v, err := c.compile(prog.Node())
	if err != nil {
		return nil, err
	}
	if v.kind != kBool {
		return nil, &ExprError{Line: 1, Col: 1, Msg: "a rule's match must be true or false, not " + v.kind.String()}
	}
	return v.boolFn(), nil
}

func neverCalled(...any) (any, error) {
	panic("rules: expr function called; expressions are compiled by Breakwater")
}

// exprEnv describes the variables' types to expr's checker.
func exprEnv() map[string]any {
	env := make(map[string]any, len(variables))
	for _, v := range variables {
		switch v.kind {
		case kBool:
			env[v.name] = false
		case kInt:
			env[v.name] = 0
		case kString:
			env[v.name] = ""
		}
	}
	return env
}

type compiler struct{ src string }

// errorAt positions an error at node n within the expression.
func (c *compiler) errorAt(n ast.Node, format string, args ...any) error {
	line, col := 1, 1
	from := n.Location().From
	for i, r := range []rune(c.src) {
		if i >= from {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &ExprError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (v value) boolFn() func(*Context) bool {
	if v.isConst {
		b := v.cb
		return func(*Context) bool { return b }
	}
	return v.b
}

func (v value) intFn() func(*Context) int64 {
	if v.isConst {
		i := v.ci
		return func(*Context) int64 { return i }
	}
	return v.i
}

func (v value) strFn() func(*Context) string {
	if v.isConst {
		s := v.cs
		return func(*Context) string { return s }
	}
	return v.s
}

func (c *compiler) compile(n ast.Node) (value, error) {
	switch n := n.(type) {
	case *ast.BoolNode:
		return value{kind: kBool, isConst: true, cb: n.Value}, nil
	case *ast.IntegerNode:
		return value{kind: kInt, isConst: true, ci: int64(n.Value)}, nil
	case *ast.StringNode:
		return value{kind: kString, isConst: true, cs: n.Value}, nil
	case *ast.IdentifierNode:
		v := lookupVariable(n.Value)
		if v == nil {
			return value{}, c.errorAt(n, "unknown name %q; `breakwater rules vars` lists what rules can use", n.Value)
		}
		return value{kind: v.kind, b: v.b, i: v.i, s: v.s}, nil
	case *ast.ArrayNode:
		list := value{isList: true}
		for _, e := range n.Nodes {
			ev, err := c.compile(e)
			if err != nil {
				return value{}, err
			}
			if !ev.isConst || ev.isList {
				return value{}, c.errorAt(e, "list elements must be literal strings or integers")
			}
			if len(list.list) > 0 && list.list[0].kind != ev.kind {
				return value{}, c.errorAt(e, "list mixes %s and %s", list.list[0].kind, ev.kind)
			}
			list.list = append(list.list, ev)
		}
		if len(list.list) > 0 {
			list.kind = list.list[0].kind
		}
		return list, nil
	case *ast.UnaryNode:
		return c.unary(n)
	case *ast.BinaryNode:
		return c.binary(n)
	case *ast.ConditionalNode:
		cond, err := c.compileKind(n.Cond, kBool)
		if err != nil {
			return value{}, err
		}
		a, err := c.compileKind(n.Exp1, kBool)
		if err != nil {
			return value{}, err
		}
		b, err := c.compileKind(n.Exp2, kBool)
		if err != nil {
			return value{}, err
		}
		cf, af, bf := cond.boolFn(), a.boolFn(), b.boolFn()
		return value{kind: kBool, b: func(x *Context) bool {
			if cf(x) {
				return af(x)
			}
			return bf(x)
		}}, nil
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return value{}, c.errorAt(n, "only the functions listed by `breakwater rules vars` can be called")
		}
		f := lookupFunction(id.Value)
		if f == nil {
			return value{}, c.errorAt(n, "unknown function %q", id.Value)
		}
		return f.compile(c, n)
	}
	return value{}, c.errorAt(n, "this construct (%T) is not supported in rules; use comparisons, and/or/not, in [...], startsWith, endsWith, contains, matches and the listed functions", n)
}

func (c *compiler) compileKind(n ast.Node, k kind) (value, error) {
	v, err := c.compile(n)
	if err != nil {
		return v, err
	}
	if v.kind != k || v.isList {
		return v, c.errorAt(n, "expected %s here, found %s", k, v.kind)
	}
	return v, nil
}

func (c *compiler) unary(n *ast.UnaryNode) (value, error) {
	switch n.Operator {
	case "not", "!":
		v, err := c.compileKind(n.Node, kBool)
		if err != nil {
			return v, err
		}
		if v.isConst {
			return value{kind: kBool, isConst: true, cb: !v.cb}, nil
		}
		f := v.b
		return value{kind: kBool, b: func(x *Context) bool { return !f(x) }}, nil
	case "-":
		v, err := c.compileKind(n.Node, kInt)
		if err != nil {
			return v, err
		}
		if v.isConst {
			return value{kind: kInt, isConst: true, ci: -v.ci}, nil
		}
		f := v.i
		return value{kind: kInt, i: func(x *Context) int64 { return -f(x) }}, nil
	}
	return value{}, c.errorAt(n, "operator %q is not supported in rules", n.Operator)
}

func (c *compiler) binary(n *ast.BinaryNode) (value, error) {
	switch n.Operator {
	case "and", "&&", "or", "||":
		l, err := c.compileKind(n.Left, kBool)
		if err != nil {
			return l, err
		}
		r, err := c.compileKind(n.Right, kBool)
		if err != nil {
			return r, err
		}
		lf, rf := l.boolFn(), r.boolFn()
		if n.Operator == "and" || n.Operator == "&&" {
			return value{kind: kBool, b: func(x *Context) bool { return lf(x) && rf(x) }}, nil
		}
		return value{kind: kBool, b: func(x *Context) bool { return lf(x) || rf(x) }}, nil
	case "in":
		return c.in(n)
	}
	l, err := c.compile(n.Left)
	if err != nil {
		return l, err
	}
	r, err := c.compile(n.Right)
	if err != nil {
		return r, err
	}
	if l.isList || r.isList {
		return value{}, c.errorAt(n, "lists can only be used on the right of `in` or as has_prefix's second argument")
	}
	if l.kind != r.kind {
		return value{}, c.errorAt(n, "cannot compare %s with %s", l.kind, r.kind)
	}
	op := n.Operator
	switch l.kind {
	case kBool:
		lf, rf := l.boolFn(), r.boolFn()
		switch op {
		case "==":
			return value{kind: kBool, b: func(x *Context) bool { return lf(x) == rf(x) }}, nil
		case "!=":
			return value{kind: kBool, b: func(x *Context) bool { return lf(x) != rf(x) }}, nil
		}
	case kInt:
		lf, rf := l.intFn(), r.intFn()
		var f func(a, b int64) bool
		switch op {
		case "==":
			f = func(a, b int64) bool { return a == b }
		case "!=":
			f = func(a, b int64) bool { return a != b }
		case "<":
			f = func(a, b int64) bool { return a < b }
		case "<=":
			f = func(a, b int64) bool { return a <= b }
		case ">":
			f = func(a, b int64) bool { return a > b }
		case ">=":
			f = func(a, b int64) bool { return a >= b }
		}
		if f != nil {
			return value{kind: kBool, b: func(x *Context) bool { return f(lf(x), rf(x)) }}, nil
		}
	case kString:
		lf := l.strFn()
		if op == "matches" {
			if !r.isConst {
				return value{}, c.errorAt(n.Right, "the pattern of `matches` must be a literal string")
			}
			re, err := regexp.Compile(r.cs)
			if err != nil {
				return value{}, c.errorAt(n.Right, "bad regular expression: %v", err)
			}
			return value{kind: kBool, b: func(x *Context) bool { return re.MatchString(lf(x)) }}, nil
		}
		rf := r.strFn()
		var f func(a, b string) bool
		switch op {
		case "==":
			f = func(a, b string) bool { return a == b }
		case "!=":
			f = func(a, b string) bool { return a != b }
		case "startsWith":
			f = strings.HasPrefix
		case "endsWith":
			f = strings.HasSuffix
		case "contains":
			f = strings.Contains
		}
		if f != nil {
			return value{kind: kBool, b: func(x *Context) bool { return f(lf(x), rf(x)) }}, nil
		}
	}
	return value{}, c.errorAt(n, "operator %q is not supported on %s in rules", op, l.kind)
}

func (c *compiler) in(n *ast.BinaryNode) (value, error) {
	l, err := c.compile(n.Left)
	if err != nil {
		return l, err
	}
	r, err := c.compile(n.Right)
	if err != nil {
		return r, err
	}
	if !r.isList {
		return value{}, c.errorAt(n.Right, "`in` needs a literal list on its right, e.g. op in [\"IDR\", \"CLR\"]")
	}
	if len(r.list) > 0 && r.kind != l.kind {
		return value{}, c.errorAt(n, "cannot look for a %s in a list of %s", l.kind, r.kind)
	}
	switch l.kind {
	case kString:
		set := make([]string, len(r.list))
		for i, e := range r.list {
			set[i] = e.cs
		}
		lf := l.strFn()
		return value{kind: kBool, b: func(x *Context) bool {
			s := lf(x)
			for _, e := range set {
				if s == e {
					return true
				}
			}
			return false
		}}, nil
	case kInt:
		set := make([]int64, len(r.list))
		for i, e := range r.list {
			set[i] = e.ci
		}
		lf := l.intFn()
		return value{kind: kBool, b: func(x *Context) bool {
			v := lf(x)
			for _, e := range set {
				if v == e {
					return true
				}
			}
			return false
		}}, nil
	}
	return value{}, c.errorAt(n, "`in` works on strings and integers")
}

// appName is the Diameter application's name, "" for other protocols.
func appName(m *view.Message) string {
	if m.Protocol != view.Diameter {
		return ""
	}
	return diameter.AppName(m.App)
}
