package tcap

import "breakwater/protocols/ber"

// ComponentType is a component's identifier octet (Q.773 §4.2.1,
// Component ::= CHOICE of context-tagged SEQUENCEs).
type ComponentType uint8

// Component types.
const (
	Invoke              ComponentType = 0xa1 // [1]
	ReturnResultLast    ComponentType = 0xa2 // [2]
	ReturnError         ComponentType = 0xa3 // [3]
	Reject              ComponentType = 0xa4 // [4]
	ReturnResultNotLast ComponentType = 0xa7 // [7]
)

// String returns the ASN.1 name ("invoke", "returnResultLast", ...), or
// "" for anything else.
func (t ComponentType) String() string {
	switch t {
	case Invoke:
		return "invoke"
	case ReturnResultLast:
		return "returnResultLast"
	case ReturnError:
		return "returnError"
	case Reject:
		return "reject"
	case ReturnResultNotLast:
		return "returnResultNotLast"
	}
	return ""
}

// CodeKind tells how an operation or error code was given.
type CodeKind uint8

// Code kinds.
const (
	CodeNone   CodeKind = iota
	CodeLocal           // INTEGER
	CodeGlobal          // OBJECT IDENTIFIER
)

// Code is an operation or error code: OPERATION/ERROR ::= CHOICE {
// localValue INTEGER, globalValue OBJECT IDENTIFIER }.
type Code struct {
	Kind   CodeKind
	Local  int64
	Global []byte // OID contents
}

// ProblemKind is the choice of a Reject's problem ([0]..[3]), plus one.
type ProblemKind uint8

// Problem kinds.
const (
	ProblemNone         ProblemKind = iota
	ProblemGeneral                  // [0] GeneralProblem
	ProblemInvoke                   // [1] InvokeProblem
	ProblemReturnResult             // [2] ReturnResultProblem
	ProblemReturnError              // [3] ReturnErrorProblem
)

// Problem is a Reject's problem code.
type Problem struct {
	Kind  ProblemKind
	Value int64
}

// Component is one parsed component; byte slices alias the message.
type Component struct {
	Type ComponentType

	// InvokeID is present in every component but a Reject whose invoke
	// id was not derivable (NULL).
	InvokeID    int32
	HasInvokeID bool
	LinkedID    int32 // Invoke only
	HasLinkedID bool

	// Op is the operation code of an Invoke, and of a ReturnResult that
	// carries a result; Error the error code of a ReturnError; Problem
	// the problem of a Reject.
	Op      Code
	Error   Code
	Problem Problem

	// Param is the parameter (argument, result or error parameter) as a
	// raw TLV for the TCAP user to decode; HasParam tells whether there
	// is one.
	Param    ber.TLV
	HasParam bool

	Raw []byte
}

// Components iterates over the components of a message.
type Components struct {
	r   ber.Reader
	err error
}

// Components returns an iterator over m's components. After Parse
// succeeded it yields m.NumComponents components and never fails.
func (m *Message) Components() Components { return Components{r: ber.NewReader(m.components)} }

// Next returns the next component, or false at the end or on an error
// (Err).
func (it *Components) Next() (Component, bool) {
	var c Component
	ok := it.Read(&c)
	return c, ok
}

// Read is Next for hot loops: it fills *c in place (a Component is far
// too big to return cheaply) and reports whether there was one.
func (it *Components) Read(c *Component) bool {
	*c = Component{}
	if it.err != nil {
		return false
	}
	var e ber.TLV
	if !it.r.Read(&e) {
		it.err = it.r.Err()
		return false
	}
	if err := parseComponent(&e, c); err != nil {
		it.err = err
		*c = Component{}
		return false
	}
	return true
}

// Err is the error that ended the iteration, or nil.
func (it *Components) Err() error { return it.err }

func parseComponent(e *ber.TLV, c *Component) error {
	if e.Class != ber.ClassContext || !e.Constructed {
		return ErrComponentType
	}
	c.Type = ComponentType(0xa0 | e.Tag)
	c.Raw = e.Raw
	r := e.Children()
	var t ber.TLV
	switch c.Type {
	case Invoke:
		// Invoke ::= SEQUENCE { invokeID InvokeIdType, linkedID [0]
		// IMPLICIT InvokeIdType OPTIONAL, opcode OPERATION, parameter ANY
		// OPTIONAL }. Q.773 (1997) writes linkedId as CHOICE { present
		// [0] IMPLICIT InvokeIdType, absent [1] IMPLICIT NULL }.
		if err := invokeID(&r, c); err != nil {
			return err
		}
		ok := r.Read(&t)
		if ok && t.Class == ber.ClassContext && t.Tag == 0 {
			v, err := t.Int()
			if err != nil || v < minInvokeID || v > maxInvokeID {
				return ErrLinkedID
			}
			c.LinkedID, c.HasLinkedID = int32(v), true
			ok = r.Read(&t)
		} else if ok && t.Class == ber.ClassContext && t.Tag == 1 {
			if t.Null() != nil {
				return ErrLinkedID
			}
			ok = r.Read(&t)
		}
		if !ok {
			return firstErr(r.Err(), ErrOperationCode)
		}
		if !code(&t, &c.Op) {
			return ErrOperationCode
		}
		return param(&r, c)
	case ReturnResultLast, ReturnResultNotLast:
		// ReturnResult ::= SEQUENCE { invokeID InvokeIdType, result
		// SEQUENCE { opcode OPERATION, result ANY } OPTIONAL }. MAP's
		// ROS definition lets the result itself be absent.
		if err := invokeID(&r, c); err != nil {
			return err
		}
		if !r.Read(&t) {
			return r.Err()
		}
		if !t.Is(ber.ClassUniversal, ber.TagSequence) || !t.Constructed {
			return ErrOperationCode
		}
		if err := extra(&r, ErrComponentExtra); err != nil {
			return err
		}
		rr := t.Children()
		if !rr.Read(&t) || !code(&t, &c.Op) {
			return firstErr(rr.Err(), ErrOperationCode)
		}
		return param(&rr, c)
	case ReturnError:
		// ReturnError ::= SEQUENCE { invokeID InvokeIdType, errcode ERROR,
		// parameter ANY OPTIONAL }.
		if err := invokeID(&r, c); err != nil {
			return err
		}
		if !r.Read(&t) || !code(&t, &c.Error) {
			return firstErr(r.Err(), ErrErrorCode)
		}
		return param(&r, c)
	case Reject:
		// Reject ::= SEQUENCE { invokeID CHOICE { derivable InvokeIdType,
		// not-derivable NULL }, problem CHOICE { generalProblem [0],
		// invokeProblem [1], returnResultProblem [2], returnErrorProblem
		// [3] } }, each problem an IMPLICIT INTEGER.
		switch {
		case !r.Read(&t):
			return firstErr(r.Err(), ErrInvokeID)
		case t.Is(ber.ClassUniversal, ber.TagNull):
			if t.Null() != nil {
				return ErrInvokeID
			}
		case t.Is(ber.ClassUniversal, ber.TagInteger):
			v, err := t.Int()
			if err != nil || v < minInvokeID || v > maxInvokeID {
				return ErrInvokeID
			}
			c.InvokeID, c.HasInvokeID = int32(v), true
		default:
			return ErrInvokeID
		}
		if !r.Read(&t) || t.Class != ber.ClassContext || t.Tag > 3 {
			return firstErr(r.Err(), ErrProblem)
		}
		v, err := t.Int()
		if err != nil {
			return ErrProblem
		}
		c.Problem = Problem{Kind: ProblemKind(t.Tag + 1), Value: v}
		return extra(&r, ErrComponentExtra)
	}
	return ErrComponentType
}

func invokeID(r *ber.Reader, c *Component) error {
	var e ber.TLV
	if !r.Read(&e) || !e.Is(ber.ClassUniversal, ber.TagInteger) {
		return firstErr(r.Err(), ErrInvokeID)
	}
	v, err := e.Int()
	if err != nil || v < minInvokeID || v > maxInvokeID {
		return ErrInvokeID
	}
	c.InvokeID, c.HasInvokeID = int32(v), true
	return nil
}

// code reads a local (INTEGER) or global (OBJECT IDENTIFIER) code.
func code(e *ber.TLV, c *Code) bool {
	switch {
	case e.Is(ber.ClassUniversal, ber.TagInteger):
		v, err := e.Int()
		if err != nil {
			return false
		}
		c.Kind, c.Local = CodeLocal, v
		return true
	case e.Is(ber.ClassUniversal, ber.TagOID):
		oid, err := e.OID()
		if err != nil {
			return false
		}
		c.Kind, c.Global = CodeGlobal, oid
		return true
	}
	return false
}

// param reads the optional last element of a component: one TLV of any
// type, and nothing after it.
func param(r *ber.Reader, c *Component) error {
	if !r.Read(&c.Param) {
		return r.Err()
	}
	c.HasParam = true
	return extra(r, ErrComponentExtra)
}

// extra checks that r is exhausted: a further element is def, broken
// bytes are their BER error.
func extra(r *ber.Reader, def error) error {
	if r.Len() == 0 {
		return nil
	}
	var t ber.TLV
	if r.Read(&t) {
		return def
	}
	return r.Err()
}
