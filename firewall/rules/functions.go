package rules

import (
	"strings"

	"breakwater/protocols/diameter"
	"breakwater/protocols/view"

	"github.com/expr-lang/expr/ast"
)

type function struct {
	name      string
	signature string
	result    kind
	doc       string
	types     []any // signatures for expr's type checker
	compile   func(c *compiler, n *ast.CallNode) (value, error)
}

var functions []function

func init() {
	functions = []function{
		{name: "avp", signature: "avp(code [, vendor]) / avp(\"Name\")", result: kString,
			doc:   "data of the first top-level Diameter AVP (\"\" when absent); a name is resolved in the dictionaries at load time",
			types: avpTypes(""),
			compile: func(c *compiler, n *ast.CallNode) (value, error) {
				code, vendor, err := c.avpArgs(n)
				if err != nil {
					return value{}, err
				}
				return value{kind: kString, s: func(x *Context) string {
					a, count := firstAVP(x.Msg, code, vendor)
					if count == 0 {
						return ""
					}
					return bstr(a.Data)
				}}, nil
			}},
		{name: "has_avp", signature: "has_avp(code [, vendor]) / has_avp(\"Name\")", result: kBool,
			doc:   "the Diameter message has that top-level AVP",
			types: avpTypes(false),
			compile: func(c *compiler, n *ast.CallNode) (value, error) {
				code, vendor, err := c.avpArgs(n)
				if err != nil {
					return value{}, err
				}
				return value{kind: kBool, b: func(x *Context) bool {
					_, count := firstAVP(x.Msg, code, vendor)
					return count > 0
				}}, nil
			}},
		{name: "avp_count", signature: "avp_count(code [, vendor]) / avp_count(\"Name\")", result: kInt,
			doc:   "how many top-level AVPs of that code the Diameter message has",
			types: avpTypes(0),
			compile: func(c *compiler, n *ast.CallNode) (value, error) {
				code, vendor, err := c.avpArgs(n)
				if err != nil {
					return value{}, err
				}
				return value{kind: kInt, i: func(x *Context) int64 {
					_, count := firstAVP(x.Msg, code, vendor)
					return int64(count)
				}}, nil
			}},
		{name: "avp_int", signature: "avp_int(code [, vendor]) / avp_int(\"Name\")", result: kInt,
			doc:   "the first top-level AVP as Unsigned32/Enumerated, or -1 when absent or not 4 bytes",
			types: avpTypes(0),
			compile: func(c *compiler, n *ast.CallNode) (value, error) {
				code, vendor, err := c.avpArgs(n)
				if err != nil {
					return value{}, err
				}
				return value{kind: kInt, i: func(x *Context) int64 {
					a, count := firstAVP(x.Msg, code, vendor)
					if count == 0 {
						return -1
					}
					u, ok := a.Uint32()
					if !ok {
						return -1
					}
					return int64(u)
				}}, nil
			}},
		{name: "has_prefix", signature: "has_prefix(s, [\"p1\", \"p2\"])", result: kBool,
			doc:   "s starts with one of the listed prefixes",
			types: []any{new(func(string, []any) bool)},
			compile: func(c *compiler, n *ast.CallNode) (value, error) {
				s, err := c.compileKind(n.Arguments[0], kString)
				if err != nil {
					return s, err
				}
				l, err := c.compile(n.Arguments[1])
				if err != nil {
					return l, err
				}
				if !l.isList || (len(l.list) > 0 && l.kind != kString) {
					return value{}, c.errorAt(n.Arguments[1], "has_prefix needs a literal list of strings")
				}
				prefixes := make([]string, len(l.list))
				for i, e := range l.list {
					prefixes[i] = e.cs
				}
				sf := s.strFn()
				return value{kind: kBool, b: func(x *Context) bool {
					v := sf(x)
					for _, p := range prefixes {
						if strings.HasPrefix(v, p) {
							return true
						}
					}
					return false
				}}, nil
			}},
	}
}

func lookupFunction(name string) *function {
	for i := range functions {
		if functions[i].name == name {
			return &functions[i]
		}
	}
	return nil
}

// avpTypes declares the three call forms of the AVP functions, returning r.
func avpTypes[R any](r R) []any {
	_ = r
	return []any{new(func(int) R), new(func(int, int) R), new(func(string) R)}
}

// avpArgs resolves an AVP function's literal arguments to code and vendor.
func (c *compiler) avpArgs(n *ast.CallNode) (code, vendor uint32, err error) {
	args := n.Arguments
	if s, ok := args[0].(*ast.StringNode); ok {
		code, vendor, err := diameter.ResolveAVP(s.Value)
		if err != nil {
			return 0, 0, c.errorAt(s, "%v", err)
		}
		return code, vendor, nil
	}
	for i, a := range args {
		in, ok := a.(*ast.IntegerNode)
		if !ok || in.Value < 0 || in.Value > 0xffffffff {
			return 0, 0, c.errorAt(a, "AVP code and vendor must be literal non-negative integers")
		}
		if i == 0 {
			code = uint32(in.Value)
		} else {
			vendor = uint32(in.Value)
		}
	}
	return code, vendor, nil
}

// firstAVP finds a top-level AVP of a Diameter message.
func firstAVP(m *view.Message, code, vendor uint32) (diameter.AVP, int) {
	if m.Protocol != view.Diameter || len(m.Raw) < diameter.HeaderLen {
		return diameter.AVP{}, 0
	}
	it := diameter.NewAVPs(m.Raw[diameter.HeaderLen:])
	var first diameter.AVP
	count := 0
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		if a.Code == code && a.Vendor == vendor {
			if count == 0 {
				first = a
			}
			count++
		}
	}
	return first, count
}
