package tcap

import (
	"bytes"
	"errors"
	"testing"

	"breakwater/protocols/ber"
)

func TestParseRealUpdateLocation(t *testing.T) {
	m := mustParse(t, realUL)
	if m.Type != Begin || !m.HasOTID || m.OTID != 0x25c60f || !bytes.Equal(m.OTIDBytes, hx("25c60f")) || m.HasDTID {
		t.Fatalf("header %+v", m)
	}
	d := m.Dialogue
	if d.Kind != AARQ || !bytes.Equal(d.ACN, acnNetworkLocUpV3) || !bytes.Equal(d.ProtocolVersion, hx("0780")) || d.UserInfo != nil {
		t.Fatalf("dialogue %+v", d)
	}
	if ac, v, ok := d.MAPContext(); !ok || ac != 1 || v != 3 {
		t.Fatalf("MAPContext %d %d %v", ac, v, ok)
	}
	cs := allComponents(t, m)
	if len(cs) != 1 || m.NumComponents != 1 || m.NumInvokes != 1 {
		t.Fatalf("%d components (%d/%d)", len(cs), m.NumComponents, m.NumInvokes)
	}
	c := cs[0]
	if c.Type != Invoke || c.InvokeID != 1 || !c.HasInvokeID || c.HasLinkedID || c.Op.Kind != CodeLocal || c.Op.Local != 2 {
		t.Fatalf("component %+v", c)
	}
	if !c.HasParam || !c.Param.Is(ber.ClassUniversal, ber.TagSequence) || len(c.Param.Raw) != 0x2e {
		t.Fatalf("param %+v", c.Param)
	}
	if len(m.Raw) != len(realUL) {
		t.Fatal("Raw")
	}
}

// want is what Parse must read from a row of parseCases.
type want struct {
	typ      MessageType
	otid     uint32
	hasOTID  bool
	dtid     uint32
	hasDTID  bool
	kind     DialogueKind
	comps    []ComponentType
	invokes  int
	pabort   int // -1: none
	hasPort  bool
	checkFns []func(t *testing.T, m *Message, cs []Component)
}

type parseCase struct {
	name string
	in   []byte
	err  error
	w    want
}

// parseCases builds one message per row from the Q.773 ASN.1; the rows
// are also FuzzTCAP's crafted seeds.
func parseCases() []parseCase {
	// ReturnResultLast ::= [2] { invokeID, result SEQUENCE { opcode,
	// parameter } }; ReturnError ::= [3] { invokeID, errcode, parameter };
	// Reject ::= [4] { invokeID | NULL, problem [0..3] INTEGER }.
	rrl := tl(0xa2, hx("02 01 01"), tl(0x30, hx("02 01 02"), tl(0x30, hx("04 03 91 21 43"))))
	rrlEmpty := tl(0xa2, hx("02 01 05"))
	rrnl := tl(0xa7, hx("02 01 01"), tl(0x30, hx("02 01 38"), hx("30 00")))
	retErr := tl(0xa3, hx("02 01 01 02 01 22"))
	retErrParam := tl(0xa3, hx("02 01 01 02 01 1b"), tl(0x30, hx("0a 01 00")))
	rejDerivable := tl(0xa4, hx("02 01 07 81 01 01"))
	rejNotDerivable := tl(0xa4, hx("05 00 80 01 02"))
	invLinked := tl(0xa1, hx("02 01 02 80 01 01 02 01 3c"), tl(0x30, hx("04 01 0f")))
	invGlobal := tl(0xa1, hx("02 01 01"), tl(0x06, hx("04 00 00 01 03 04")))
	ati := invoke(1, 71, tl(0x30, tl(0xa0, hx("80 08 32 14 80 00 00 00 00 f1")), tl(0xa1, hx("80 00"))))

	return []parseCase{
		{"begin dialogue only (no components is valid)",
			tl(0x62, otid(1, 2, 3, 4), dialogue(aarq(acnATIV3))), nil,
			want{typ: Begin, otid: 0x01020304, hasOTID: true, kind: AARQ, pabort: -1}},
		{"begin ATI",
			tl(0x62, otid(0x11), dialogue(aarq(acnATIV3)), components(ati)), nil,
			want{typ: Begin, otid: 0x11, hasOTID: true, kind: AARQ, comps: []ComponentType{Invoke}, invokes: 1, pabort: -1, hasPort: true}},
		{"begin without dialogue (MAP v1)",
			tl(0x62, otid(0x11), components(ati)), nil,
			want{typ: Begin, otid: 0x11, hasOTID: true, comps: []ComponentType{Invoke}, invokes: 1, pabort: -1, hasPort: true}},
		{"begin empty component portion",
			tl(0x62, otid(0x11), components()), nil,
			want{typ: Begin, otid: 0x11, hasOTID: true, pabort: -1, hasPort: true}},
		{"continue with two invokes (smuggling shape)",
			tl(0x65, otid(1), dtid(2), components(ati, invoke(2, 2, nil))), nil,
			want{typ: Continue, otid: 1, hasOTID: true, dtid: 2, hasDTID: true, comps: []ComponentType{Invoke, Invoke}, invokes: 2, pabort: -1, hasPort: true}},
		{"end AARE and ReturnResultLast",
			tl(0x64, dtid(0xde, 0xad), dialogue(aare(acnNetworkLocUpV3, 0)), components(rrl)), nil,
			want{typ: End, dtid: 0xdead, hasDTID: true, kind: AARE, comps: []ComponentType{ReturnResultLast}, pabort: -1, hasPort: true,
				checkFns: []func(*testing.T, *Message, []Component){func(t *testing.T, m *Message, cs []Component) {
					if m.Dialogue.Result != 0 || m.Dialogue.DiagnosticSource != 1 || m.Dialogue.Diagnostic != 0 {
						t.Errorf("AARE %+v", m.Dialogue)
					}
					if c := cs[0]; c.Op.Local != 2 || !c.HasParam || !bytes.Equal(c.Param.Value, hx("04 03 91 21 43")) {
						t.Errorf("rrl %+v", c)
					}
				}}}},
		{"end result without opcode and result-not-last",
			tl(0x64, dtid(9), components(rrnl, rrlEmpty)), nil,
			want{typ: End, dtid: 9, hasDTID: true, comps: []ComponentType{ReturnResultNotLast, ReturnResultLast}, pabort: -1, hasPort: true,
				checkFns: []func(*testing.T, *Message, []Component){func(t *testing.T, m *Message, cs []Component) {
					if cs[0].Op.Local != 56 || cs[1].Op.Kind != CodeNone || cs[1].InvokeID != 5 || cs[1].HasParam {
						t.Errorf("%+v", cs)
					}
				}}}},
		{"continue return errors and rejects",
			tl(0x65, otid(1), dtid(2), components(retErr, retErrParam, rejDerivable, rejNotDerivable)), nil,
			want{typ: Continue, otid: 1, hasOTID: true, dtid: 2, hasDTID: true,
				comps: []ComponentType{ReturnError, ReturnError, Reject, Reject}, pabort: -1, hasPort: true,
				checkFns: []func(*testing.T, *Message, []Component){func(t *testing.T, m *Message, cs []Component) {
					if cs[0].Error.Kind != CodeLocal || cs[0].Error.Local != 34 || cs[0].HasParam || cs[1].Error.Local != 27 || !cs[1].HasParam {
						t.Errorf("errors %+v %+v", cs[0], cs[1])
					}
					if cs[2].Problem != (Problem{ProblemInvoke, 1}) || cs[2].InvokeID != 7 || !cs[2].HasInvokeID {
						t.Errorf("reject %+v", cs[2])
					}
					if cs[3].Problem != (Problem{ProblemGeneral, 2}) || cs[3].HasInvokeID {
						t.Errorf("reject %+v", cs[3])
					}
				}}}},
		{"invoke with linked id and global opcode",
			tl(0x65, otid(1), dtid(2), components(invLinked, invGlobal)), nil,
			want{typ: Continue, otid: 1, hasOTID: true, dtid: 2, hasDTID: true, comps: []ComponentType{Invoke, Invoke}, invokes: 2, pabort: -1, hasPort: true,
				checkFns: []func(*testing.T, *Message, []Component){func(t *testing.T, m *Message, cs []Component) {
					if !cs[0].HasLinkedID || cs[0].LinkedID != 1 || cs[0].Op.Local != 60 {
						t.Errorf("linked %+v", cs[0])
					}
					if cs[1].Op.Kind != CodeGlobal || !bytes.Equal(cs[1].Op.Global, hx("04 00 00 01 03 04")) || cs[1].HasParam {
						t.Errorf("global %+v", cs[1])
					}
				}}}},
		{"abort p-abort",
			tl(0x67, dtid(0, 0, 0, 7), hx("4a 01 01")), nil,
			want{typ: Abort, dtid: 7, hasDTID: true, pabort: 1}},
		{"abort u-abort ABRT",
			tl(0x67, dtid(7), dialogue(abrt(0))), nil,
			want{typ: Abort, dtid: 7, hasDTID: true, kind: ABRT, pabort: -1}},
		{"abort refusing with AARE",
			tl(0x67, dtid(7), dialogue(aare(acnNetworkLocUpV3, 1))), nil,
			want{typ: Abort, dtid: 7, hasDTID: true, kind: AARE, pabort: -1}},
		{"abort without cause",
			tl(0x67, dtid(7)), nil,
			want{typ: Abort, dtid: 7, hasDTID: true, pabort: -1}},
		{"unidirectional AUDT",
			tl(0x61, uniDialogue(tl(0x60, tl(0xa1, tl(0x06, acnATIV3)))), components(ati)), nil,
			want{typ: Unidirectional, kind: AUDT, comps: []ComponentType{Invoke}, invokes: 1, pabort: -1, hasPort: true}},
		{"indefinite lengths throughout",
			tlIndef(0x62, otid(5), tlIndef(0x6b, tlIndef(0x28, tl(0x06, DialogueAsID), tlIndef(0xa0, aarq(acnATIV3)))),
				tlIndef(0x6c, tlIndef(0xa1, hx("02 01 01 02 01 47"), tlIndef(0x30, hx("80 00"))))), nil,
			want{typ: Begin, otid: 5, hasOTID: true, kind: AARQ, comps: []ComponentType{Invoke}, invokes: 1, pabort: -1, hasPort: true}},
		{"octet-aligned dialogue and AARQ user-information",
			tl(0x62, otid(5), tl(0x6b, tl(0x28, tl(0x06, DialogueAsID), tl(0x81, aarq(acnATIV3, tl(0xbe, tl(0x28, hx("06 01 00")))))))), nil,
			want{typ: Begin, otid: 5, hasOTID: true, kind: AARQ, pabort: -1,
				checkFns: []func(*testing.T, *Message, []Component){func(t *testing.T, m *Message, _ []Component) {
					if !bytes.Equal(m.Dialogue.UserInfo, tl(0x28, hx("06 01 00"))) {
						t.Errorf("user info % x", m.Dialogue.UserInfo)
					}
				}}}},

		// Errors: what was read before the damage stays visible.
		{"ANSI TCAP query", hx("e2 03 c7 01 00"), ErrNotTCAP, want{pabort: -1}},
		{"primitive outer", hx("42 01 00"), ErrNotTCAP, want{pabort: -1}},
		{"application 3 (not a message type)", hx("63 00"), ErrNotTCAP, want{pabort: -1}},
		{"truncated outer keeps type", hx("62 10 48 01 01"), ber.ErrTruncated, want{typ: Begin, pabort: -1}},
		{"trailing bytes", append(tl(0x64, dtid(1)), 0), ErrTrailing, want{typ: End, dtid: 1, hasDTID: true, pabort: -1}},
		{"begin without otid", tl(0x62, components(ati)), ErrMissingOTID, want{typ: Begin, pabort: -1}},
		{"begin empty", tl(0x62), ErrMissingOTID, want{typ: Begin, pabort: -1}},
		{"continue without dtid", tl(0x65, otid(1), components(ati)), ErrMissingDTID, want{typ: Continue, otid: 1, hasOTID: true, pabort: -1}},
		{"end with otid", tl(0x64, otid(1), dtid(1)), ErrUnexpected, want{typ: End, pabort: -1}},
		{"begin with dtid", tl(0x62, otid(1), dtid(1)), ErrUnexpected, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"tid of 5 octets", tl(0x62, otid(1, 2, 3, 4, 5)), ErrTIDLength, want{typ: Begin, pabort: -1}},
		{"tid of 0 octets", tl(0x64, dtid()), ErrTIDLength, want{typ: End, pabort: -1}},
		{"tid constructed", tl(0x64, tl(0x69, hx("04 01 01"))), ErrTIDLength, want{typ: End, pabort: -1}},
		{"two otids", tl(0x62, otid(1), otid(2)), ErrUnexpected, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"two component portions", tl(0x62, otid(1), components(ati), components(ati)), ErrUnexpected,
			want{typ: Begin, otid: 1, hasOTID: true, comps: []ComponentType{Invoke}, invokes: 1, pabort: -1, hasPort: true}},
		{"dialogue after components", tl(0x62, otid(1), components(ati), dialogue(aarq(acnATIV3))), ErrUnexpected,
			want{typ: Begin, otid: 1, hasOTID: true, comps: []ComponentType{Invoke}, invokes: 1, pabort: -1, hasPort: true}},
		{"p-abort in a begin", tl(0x62, otid(1), hx("4a 01 01")), ErrUnexpected, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"unknown element", tl(0x65, otid(1), dtid(2), hx("4f 00")), ErrUnexpected, want{typ: Continue, otid: 1, hasOTID: true, dtid: 2, hasDTID: true, pabort: -1}},
		{"abort with both causes", tl(0x67, dtid(7), dialogue(abrt(1)), hx("4a 01 01")), ErrUnexpected,
			want{typ: Abort, dtid: 7, hasDTID: true, kind: ABRT, pabort: -1}},
		{"abort with components", tl(0x67, dtid(7), components()), ErrUnexpected, want{typ: Abort, dtid: 7, hasDTID: true, pabort: -1}},
		{"p-abort cause too long", tl(0x67, dtid(7), hx("4a 02 01 00")), ErrPAbortCause, want{typ: Abort, dtid: 7, hasDTID: true, pabort: -1}},
		{"unidirectional without components", tl(0x61, uniDialogue(tl(0x60, tl(0xa1, tl(0x06, acnATIV3))))), ErrNoComponents,
			want{typ: Unidirectional, kind: AUDT, pabort: -1}},
		{"dialogue not EXTERNAL", tl(0x62, otid(1), tl(0x6b, tl(0x30, hx("06 01 00")))), ErrDialogue, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"dialogue two EXTERNALs", tl(0x62, otid(1), tl(0x6b, tl(0x28, tl(0x06, DialogueAsID), tl(0xa0, aarq(acnATIV3))), hx("28 00"))),
			ErrDialogue, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"dialogue arbitrary encoding", tl(0x62, otid(1), tl(0x6b, tl(0x28, tl(0x06, DialogueAsID), hx("82 01 00")))), ErrDialogue,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"dialogue other abstract syntax", tl(0x62, otid(1), tl(0x6b, tl(0x28, tl(0x06, hx("00 11 86 05 01 01 02")), tl(0xa0, aarq(acnATIV3))))),
			ErrDialogueAS, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"uni dialogue in a begin", tl(0x62, otid(1), uniDialogue(tl(0x60, tl(0xa1, tl(0x06, acnATIV3))))), ErrDialogueAS,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"AARQ in an end", tl(0x64, dtid(1), dialogue(aarq(acnATIV3))), ErrDialogueKind, want{typ: End, dtid: 1, hasDTID: true, pabort: -1}},
		{"AARE in a begin", tl(0x62, otid(1), dialogue(aare(acnATIV3, 0))), ErrDialogueKind, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"ABRT in a continue", tl(0x65, otid(1), dtid(1), dialogue(abrt(0))), ErrDialogueKind,
			want{typ: Continue, otid: 1, hasOTID: true, dtid: 1, hasDTID: true, pabort: -1}},
		{"AARQ without ACN", tl(0x62, otid(1), dialogue(tl(0x60, hx("80 02 07 80")))), ErrDialoguePDU, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"AARQ ACN not an OID", tl(0x62, otid(1), dialogue(tl(0x60, tl(0xa1, hx("04 01 00"))))), ErrDialoguePDU, want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"AARQ fields out of order", tl(0x62, otid(1), dialogue(tl(0x60, tl(0xa1, tl(0x06, acnATIV3)), hx("80 02 07 80")))), ErrDialoguePDU,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1}},
		{"AARE without result", tl(0x64, dtid(1), dialogue(tl(0x61, tl(0xa1, tl(0x06, acnATIV3))))), ErrDialoguePDU,
			want{typ: End, dtid: 1, hasDTID: true, pabort: -1}},
		{"component type 5", tl(0x62, otid(1), components(tl(0xa5, hx("02 01 01")))), ErrComponentType,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"component primitive", tl(0x62, otid(1), components(hx("81 01 01"))), ErrComponentType,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"invoke id 200", tl(0x62, otid(1), components(tl(0xa1, hx("02 02 00 c8 02 01 02")))), ErrInvokeID,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"invoke id missing", tl(0x62, otid(1), components(tl(0xa1, hx("06 01 00")))), ErrInvokeID,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"invoke opcode missing", tl(0x62, otid(1), components(tl(0xa1, hx("02 01 01")))), ErrOperationCode,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"invoke opcode wrong type", tl(0x62, otid(1), components(tl(0xa1, hx("02 01 01 04 01 02")))), ErrOperationCode,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"invoke two parameters", tl(0x62, otid(1), components(tl(0xa1, hx("02 01 01 02 01 02 30 00 30 00")))), ErrComponentExtra,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"linked id out of range", tl(0x62, otid(1), components(tl(0xa1, hx("02 01 01 80 02 01 00 02 01 02")))), ErrLinkedID,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
		{"return error without code", tl(0x64, dtid(1), components(tl(0xa3, hx("02 01 01")))), ErrErrorCode,
			want{typ: End, dtid: 1, hasDTID: true, pabort: -1, hasPort: true}},
		{"result sequence without opcode", tl(0x64, dtid(1), components(tl(0xa2, hx("02 01 01 30 00")))), ErrOperationCode,
			want{typ: End, dtid: 1, hasDTID: true, pabort: -1, hasPort: true}},
		{"reject without problem", tl(0x64, dtid(1), components(tl(0xa4, hx("02 01 01")))), ErrProblem,
			want{typ: End, dtid: 1, hasDTID: true, pabort: -1, hasPort: true}},
		{"reject problem [4]", tl(0x64, dtid(1), components(tl(0xa4, hx("02 01 01 84 01 00")))), ErrProblem,
			want{typ: End, dtid: 1, hasDTID: true, pabort: -1, hasPort: true}},
		{"component truncated inside", tl(0x62, otid(1), components(tl(0xa1, hx("02 05 01")))), ber.ErrTruncated,
			want{typ: Begin, otid: 1, hasOTID: true, pabort: -1, hasPort: true}},
	}
}

// TestParseTable checks what Parse reads from each row, or the error it
// names.
func TestParseTable(t *testing.T) {
	for _, c := range parseCases() {
		t.Run(c.name, func(t *testing.T) {
			var m Message
			err := Parse(c.in, &m)
			if !errors.Is(err, c.err) {
				t.Fatalf("err %v, want %v", err, c.err)
			}
			w := c.w
			if m.Type != w.typ || m.HasOTID != w.hasOTID || m.OTID != w.otid || m.HasDTID != w.hasDTID || m.DTID != w.dtid {
				t.Errorf("header %v otid %v/%x dtid %v/%x", m.Type, m.HasOTID, m.OTID, m.HasDTID, m.DTID)
			}
			if m.Dialogue.Kind != w.kind {
				t.Errorf("dialogue %v, want %v", m.Dialogue.Kind, w.kind)
			}
			if (w.pabort >= 0) != m.HasPAbort || (m.HasPAbort && int(m.PAbortCause) != w.pabort) {
				t.Errorf("p-abort %v %d", m.HasPAbort, m.PAbortCause)
			}
			if m.HasComponentPortion != w.hasPort {
				t.Errorf("component portion %v", m.HasComponentPortion)
			}
			if err != nil {
				return
			}
			cs := allComponents(t, &m)
			if len(cs) != len(w.comps) || m.NumComponents != len(cs) || m.NumInvokes != w.invokes {
				t.Fatalf("%d components (%d, %d invokes), want %v", len(cs), m.NumComponents, m.NumInvokes, w.comps)
			}
			for i, ct := range w.comps {
				if cs[i].Type != ct {
					t.Errorf("component %d: %v, want %v", i, cs[i].Type, ct)
				}
			}
			for _, f := range w.checkFns {
				f(t, &m, cs)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for typ, want := range map[MessageType]string{Begin: "begin", End: "end", Continue: "continue", Abort: "abort", Unidirectional: "unidirectional", 0x63: ""} {
		if typ.String() != want {
			t.Errorf("%#x: %q", uint8(typ), typ.String())
		}
	}
	for typ, want := range map[ComponentType]string{Invoke: "invoke", ReturnResultLast: "returnResultLast", ReturnError: "returnError",
		Reject: "reject", ReturnResultNotLast: "returnResultNotLast", 0xa5: ""} {
		if typ.String() != want {
			t.Errorf("%#x: %q", uint8(typ), typ.String())
		}
	}
	if AARQ.String() != "AARQ" || DialogueKind(9).String() != "" {
		t.Error("DialogueKind names")
	}
	for _, c := range []struct {
		in    string
		ac, v uint8
		ok    bool
	}{
		{"04 00 00 01 00 1d 03", 29, 3, true},
		{"04 00 00 01 00 32 01", 50, 1, true}, // CAMEL phase 1/2 share the arc
		{"04 00 00 01 15 03 04", 0, 0, false}, // CAMEL phase 3+ (0.4.0.0.1.21.3.4)
		{"04 00 00 01 00 81 00 03", 0, 0, false},
		{"", 0, 0, false},
	} {
		ac, v, ok := MAPContext(hx(c.in))
		if ac != c.ac || v != c.v || ok != c.ok {
			t.Errorf("MAPContext(%s) = %d %d %v", c.in, ac, v, ok)
		}
	}
}

// TestLargeAndDeep: a 1 MB Unidirectional of 100,000 Invokes parses (the
// component count is exact and iteration agrees), and a parameter of
// 10,000 nested indefinite lengths is refused by the BER depth limit.
func TestLargeAndDeep(t *testing.T) {
	inv := tl(0xa1, hx("02 01 01 02 01 3b"), hx("30 80 04 01 0f 00 00"))
	const n = 100000
	body := make([]byte, 0, n*len(inv))
	for range n {
		body = append(body, inv...)
	}
	// Long-form lengths of four octets (tl only writes up to two).
	long := func(id byte, v []byte) []byte {
		l := len(v)
		return append([]byte{id, 0x84, byte(l >> 24), byte(l >> 16), byte(l >> 8), byte(l)}, v...)
	}
	outer := long(0x61, long(0x6c, body))
	if len(outer) < 1<<20 {
		t.Fatalf("%d octets", len(outer))
	}
	m := mustParse(t, outer)
	if m.NumComponents != n || m.NumInvokes != n {
		t.Fatalf("%d components, %d invokes", m.NumComponents, m.NumInvokes)
	}
	if got := len(allComponents(t, m)); got != n {
		t.Fatalf("iterated %d", got)
	}

	deep := append(bytes.Repeat([]byte{0x30, 0x80}, 10000), bytes.Repeat([]byte{0, 0}, 10000)...)
	bad := append(append(append([]byte{0xa1, 0x80}, hx("02 01 01 02 01 3b")...), deep...), 0, 0)
	var dm Message
	if err := Parse(tl(0x62, otid(1), tl(0x6c, bad)), &dm); err != ber.ErrDepth {
		t.Fatalf("deep parameter: %v", err)
	}
}
