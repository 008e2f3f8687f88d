package tcap

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"breakwater/internal/fuzzcorpus"
	"breakwater/protocols/ber"
)

var updateCorpus = flag.Bool("update-corpus", false, "rewrite testdata/fuzz/FuzzTCAP/crafted_* from parseCases")

const corpusDir = "testdata/fuzz/FuzzTCAP"

// seedName turns a table row's name into a file name.
func seedName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.Trim(b.String(), "_")
}

// craftedSeeds are the rows of parseCases (every message type, dialogue
// PDU and component shape, every error) plus the real UpdateLocation.
func craftedSeeds() map[string][]byte {
	s := map[string][]byte{"real_shape_update_location": realUL}
	for _, c := range parseCases() {
		s[seedName(c.name)] = c.in
	}
	return s
}

// TestCraftedCorpus keeps the committed crafted seeds in step with
// parseCases (regenerate with -update-corpus).
func TestCraftedCorpus(t *testing.T) {
	seeds := craftedSeeds()
	if *updateCorpus {
		old, _ := filepath.Glob(filepath.Join(corpusDir, "crafted_*"))
		for _, f := range old {
			os.Remove(f)
		}
		if err := os.MkdirAll(corpusDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(corpusDir, "crafted_"+name), fuzzcorpus.Format(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "crafted_*"))
	if len(files) != len(seeds) {
		t.Errorf("%d crafted_* files for %d seeds (go test -run TestCraftedCorpus -update-corpus)", len(files), len(seeds))
	}
	for name, b := range seeds {
		f := filepath.Join(corpusDir, "crafted_"+name)
		if got := fuzzcorpus.Read(t, f); !bytes.Equal(got, b) {
			t.Errorf("%s differs from parseCases (go test -run TestCraftedCorpus -update-corpus)", f)
		}
	}
}

func TestCorpusShape(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	real := 0
	for name, b := range seeds {
		if len(b) >= 2048 {
			t.Errorf("%s: %d bytes (keep seeds under 2 KB)", name, len(b))
		}
		if strings.HasPrefix(name, "real_") {
			real++
		}
	}
	if len(seeds) < 60 || real < 10 {
		t.Errorf("%d seeds, %d from captures", len(seeds), real)
	}
	readme, err := os.ReadFile("testdata/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range seeds {
		if strings.HasPrefix(name, "real_") && !strings.Contains(string(readme), "`"+name+"`") {
			t.Errorf("%s: provenance missing from testdata/README.md", name)
		}
	}
}

// inside reports whether s is a subslice of b.
func inside(s, b []byte) bool {
	if len(s) == 0 {
		return true
	}
	if len(b) == 0 {
		return false
	}
	start := uintptrOf(b)
	p := uintptrOf(s)
	return p >= start && p+uintptr(len(s)) <= start+uintptr(len(b))
}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

// checkParse is FuzzTCAP's property check.
// checkMemo parses b again, from a copy, with the Message that just read
// it (so its dialogue portion comes from the memo) and with one that read
// another message before: each must give what a fresh Message gave, with
// every slice aliasing its own input.
func checkMemo(t *testing.T, b []byte, fresh *Message, freshErr error) {
	c := bytes.Clone(b)
	again := *fresh // same memo
	for _, prev := range []*Message{&again, new(Message)} {
		if prev != &again {
			Parse(beginWithDialogue, prev)
		}
		err := Parse(c, prev)
		if err != freshErr {
			t.Fatalf("memo: error %v, fresh %v", err, freshErr)
		}
		for _, s := range [][]byte{prev.Dialogue.ACN, prev.Dialogue.UserInfo, prev.Dialogue.ProtocolVersion} {
			if s != nil && !inside(s, c) {
				t.Fatal("memo: a dialogue field does not alias the new input")
			}
		}
		got, want := prev.Dialogue, fresh.Dialogue
		if got.Kind != want.Kind || got.Result != want.Result || got.DiagnosticSource != want.DiagnosticSource ||
			got.Diagnostic != want.Diagnostic || got.AbortSource != want.AbortSource ||
			!sameBytes(got.ACN, want.ACN) || !sameBytes(got.UserInfo, want.UserInfo) || !sameBytes(got.ProtocolVersion, want.ProtocolVersion) {
			t.Fatalf("memo: dialogue %+v, fresh %+v", got, want)
		}
	}
}

// sameBytes is bytes.Equal that also tells nil from empty.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

func checkParse(t *testing.T, b []byte) {
	var m Message
	err := Parse(b, &m)
	if m.Type != 0 && m.Type.String() == "" {
		t.Fatalf("type %#x", uint8(m.Type))
	}
	for _, s := range [][]byte{m.OTIDBytes, m.DTIDBytes, m.Raw, m.Dialogue.ACN, m.Dialogue.UserInfo, m.Dialogue.ProtocolVersion} {
		if !inside(s, b) {
			t.Fatal("a field does not alias the input")
		}
	}
	if m.HasOTID && (len(m.OTIDBytes) < 1 || len(m.OTIDBytes) > 4) || m.HasDTID && (len(m.DTIDBytes) < 1 || len(m.DTIDBytes) > 4) {
		t.Fatal("TID length")
	}
	if m.Dialogue.ACN != nil && !ber.ValidOID(m.Dialogue.ACN) {
		t.Fatal("ACN not a valid OID")
	}
	checkMemo(t, b, &m, err)
	if err != nil {
		return
	}
	if len(m.Raw) != len(b) || m.Type == 0 {
		t.Fatalf("accepted with Raw %d of %d, type %#x", len(m.Raw), len(b), uint8(m.Type))
	}
	switch m.Type {
	case Begin:
		if !m.HasOTID || m.HasDTID {
			t.Fatal("Begin TIDs")
		}
	case End, Abort:
		if m.HasOTID || !m.HasDTID {
			t.Fatal("End/Abort TIDs")
		}
	case Continue:
		if !m.HasOTID || !m.HasDTID {
			t.Fatal("Continue TIDs")
		}
	case Unidirectional:
		if m.HasOTID || m.HasDTID || !m.HasComponentPortion {
			t.Fatal("Unidirectional")
		}
	}
	it := m.Components()
	n, inv := 0, 0
	for c, ok := it.Next(); ok; c, ok = it.Next() {
		n++
		if c.Type == Invoke {
			inv++
			if c.Op.Kind == CodeNone || !c.HasInvokeID {
				t.Fatal("Invoke without opcode or id")
			}
		}
		if c.Type.String() == "" || !inside(c.Raw, m.Raw) || c.HasParam && !inside(c.Param.Raw, c.Raw) {
			t.Fatalf("component %+v", c)
		}
		if c.HasInvokeID && (c.InvokeID < -128 || c.InvokeID > 127) {
			t.Fatal("invoke id range")
		}
	}
	if it.Err() != nil || n != m.NumComponents || inv != m.NumInvokes {
		t.Fatalf("iteration: %d/%d components, %d/%d invokes, %v", n, m.NumComponents, inv, m.NumInvokes, it.Err())
	}
	// The same bytes read again give the same message.
	var again Message
	if err := Parse(m.Raw, &again); err != nil || again.Type != m.Type || again.OTID != m.OTID || again.DTID != m.DTID ||
		again.NumComponents != m.NumComponents || again.Dialogue.Kind != m.Dialogue.Kind {
		t.Fatalf("reparse: %v", err)
	}
}

func FuzzTCAP(f *testing.F) {
	for _, b := range craftedSeeds() {
		f.Add(b)
	}
	f.Fuzz(checkParse)
}

// TestCorpusProperties runs the fuzz property over every committed seed
// and every prefix of each.
func TestCorpusProperties(t *testing.T) {
	for name, b := range fuzzcorpus.Load(t, corpusDir) {
		t.Run(name, func(t *testing.T) {
			for i := 0; i <= len(b); i++ {
				checkParse(t, b[:i])
			}
		})
	}
}

// TestAllocatesNothing parses every seed and walks its components.
func TestAllocatesNothing(t *testing.T) {
	seeds := fuzzcorpus.Load(t, corpusDir)
	names := make([]string, 0, len(seeds))
	for n := range seeds {
		names = append(names, n)
	}
	slices.Sort(names)
	var m Message
	for _, name := range names {
		b := seeds[name]
		a := testing.AllocsPerRun(50, func() {
			Parse(b, &m)
			it := m.Components()
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
			_, _, _ = m.Dialogue.MAPContext()
		})
		if a != 0 {
			t.Errorf("%s: %v allocations", name, a)
		}
	}
}

// beginWithDialogue is a Begin with an AARQ (anyTimeInfoEnquiry v3): what
// a Message has in its memo before it reads another message.
var beginWithDialogue = func() []byte {
	var b Builder
	return bytes.Clone(b.Start(Begin).OTID([]byte{1, 2, 3, 4}).AARQ(acnATI3, nil).
		Components().Invoke(1, 71, nil).Message())
}()
