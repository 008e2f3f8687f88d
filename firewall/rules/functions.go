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
		avpFunction("avp", "avp(code [, vendor]) / avp(\"Name\")", kString,
			"data of the first top-level Diameter AVP (\"\" when absent); a name is resolved in the dictionaries at load time",
			func(a diameter.AVP, count int) (bool, int64, string) {
				if count == 0 {
					return false, 0, ""
				}
				return true, 0, bstr(a.Data)
			}),
		avpFunction("has_avp", "has_avp(code [, vendor]) / has_avp(\"Name\")", kBool,
			"the Diameter message has that top-level AVP",
			func(_ diameter.AVP, count int) (bool, int64, string) { return count > 0, 0, "" }),
		avpFunction("avp_count", "avp_count(code [, vendor]) / avp_count(\"Name\")", kInt,
			"how many top-level AVPs of that code the Diameter message has",
			func(_ diameter.AVP, count int) (bool, int64, string) { return false, int64(count), "" }),
		avpFunction("avp_int", "avp_int(code [, vendor]) / avp_int(\"Name\")", kInt,
			"the first top-level AVP as Unsigned32/Enumerated, or -1 when absent or not 4 bytes",
			func(a diameter.AVP, count int) (bool, int64, string) {
				u, ok := a.Uint32()
				if count == 0 || !ok {
					return false, -1, ""
				}
				return false, int64(u), ""
			}),
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

// avpFunction defines one of the functions that read a top-level AVP: they
// share their argument forms and lookup and differ only in what they make
// of the AVP found (result gives the bool, int or string, by kind).
func avpFunction(name, signature string, k kind, doc string, result func(a diameter.AVP, count int) (bool, int64, string)) function {
	types := avpTypes[string]()
	switch k {
	case kBool:
		types = avpTypes[bool]()
	case kInt:
		types = avpTypes[int]()
	}
	return function{
		name: name, signature: signature, result: k, doc: doc, types: types,
		compile: func(c *compiler, n *ast.CallNode) (value, error) {
			code, vendor, err := c.avpArgs(n)
			if err != nil {
				return value{}, err
			}
			switch k {
			case kBool:
				return value{kind: k, b: func(x *Context) bool { b, _, _ := result(firstAVP(x.Msg, code, vendor)); return b }}, nil
			case kInt:
				return value{kind: k, i: func(x *Context) int64 { _, i, _ := result(firstAVP(x.Msg, code, vendor)); return i }}, nil
			}
			return value{kind: k, s: func(x *Context) string { _, _, s := result(firstAVP(x.Msg, code, vendor)); return s }}, nil
		},
	}
}

// avpTypes declares the three call forms of the AVP functions to expr's
// type checker: avp(code), avp(code, vendor), avp("Name"), returning R.
func avpTypes[R any]() []any {
	return []any{new(func(int) R), new(func(int, int) R), new(func(string) R)}
}

func lookupFunction(name string) *function {
	for i := range functions {
		if functions[i].name == name {
			return &functions[i]
		}
	}
	return nil
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
	if m.Protocol != view.Diameter {
		return diameter.AVP{}, 0
	}
	return diameter.FindAVP(m.Raw, code, vendor)
}
