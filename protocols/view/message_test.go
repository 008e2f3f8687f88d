package view

import (
	"math/bits"
	"reflect"
	"testing"
)

// TestFlagsDistinct: every Flag* constant is its own bit, so rules can
// test them independently.
func TestFlagsDistinct(t *testing.T) {
	all := []uint32{FlagLocationRequest, FlagStateRequest, FlagAppMismatch, FlagRedirect}
	var seen uint32
	for _, f := range all {
		if bits.OnesCount32(f) != 1 || seen&f != 0 {
			t.Fatalf("flag %#x overlaps %#x", f, seen)
		}
		seen |= f
	}
}

// TestResetClearsSS7Fields: a view reused for the next message keeps
// nothing of the MAP fields of the previous one.
func TestResetClearsSS7Fields(t *testing.T) {
	var m Message
	m.TCAPType, m.AppContext, m.AppContextVersion, m.Components, m.Invokes = 0x62, 29, 3, 2, 2
	for _, d := range []*Digits{&m.MSCNumber, &m.VLRNumber, &m.SGSNNumber, &m.HLRNumber, &m.GsmSCF, &m.SMSC, &m.ForwardedTo} {
		if !d.SetASCII([]byte("447700900123")) {
			t.Fatal("SetASCII")
		}
	}
	m.Flags = FlagRedirect
	m.Reset()
	if !reflect.DeepEqual(m, Message{}) {
		t.Fatalf("Reset left %+v", m)
	}
}
