package tcap

import (
	"bytes"
	"testing"
	"time"
)

var (
	acNetworkLocUp = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 0x01, 0x03}
	acCAP2         = []byte{0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01}
)

// observe runs one message through t and returns the name it gets.
func observe(t *Dialogues, now time.Time, from, to uint64, m Message) []byte {
	var acn [MaxACN]byte
	n := t.Observe(now, from, to, &m, &acn)
	return acn[:n]
}

func begin(otid uint32, acn []byte) Message {
	return Message{Type: Begin, OTID: otid, HasOTID: true, Dialogue: Dialogue{ACN: acn}}
}
func cont(otid, dtid uint32, acn []byte) Message {
	return Message{Type: Continue, OTID: otid, HasOTID: true, DTID: dtid, HasDTID: true, Dialogue: Dialogue{ACN: acn}}
}
func end(dtid uint32) Message { return Message{Type: End, DTID: dtid, HasDTID: true} }

const vlr, hlr, other = 0x1111, 0x2222, 0x3333

// A dialogue's context, named in its Begin and AARE, reaches every later
// message in both directions, and its End forgets both ends.
func TestDialoguesFollowOneDialogue(t *testing.T) {
	d := NewDialogues(DialoguesConfig{})
	now := time.Unix(1000, 0)
	if got := observe(d, now, vlr, hlr, begin(7, acNetworkLocUp)); len(got) != 0 {
		t.Fatalf("Begin with its own name got %x", got)
	}
	if got := observe(d, now, hlr, vlr, cont(90, 7, acNetworkLocUp)); len(got) != 0 {
		t.Fatalf("AARE got %x", got)
	}
	if got := observe(d, now, vlr, hlr, cont(7, 90, nil)); !bytes.Equal(got, acNetworkLocUp) {
		t.Fatalf("initiator's Continue: %x, want %x", got, acNetworkLocUp)
	}
	if got := observe(d, now, hlr, vlr, cont(90, 7, nil)); !bytes.Equal(got, acNetworkLocUp) {
		t.Fatalf("responder's Continue: %x", got)
	}
	// The same id owned by another node is another dialogue.
	if got := observe(d, now, vlr, other, cont(7, 90, nil)); len(got) != 0 {
		t.Fatalf("another node's id 90 got %x", got)
	}
	if got := observe(d, now, hlr, vlr, end(7)); !bytes.Equal(got, acNetworkLocUp) {
		t.Fatalf("End: %x", got)
	}
	// An End the firewall refuses never reaches the other side: both
	// ends keep their context (an attacker's End must not erase the
	// dialogue so that its next Continue is read without one).
	if got := observe(d, now, vlr, hlr, cont(7, 90, nil)); !bytes.Equal(got, acNetworkLocUp) {
		t.Fatalf("after End, initiator side: %x", got)
	}
	// A dialogue portion in a later Continue does not change the context.
	if got := observe(d, now, hlr, vlr, cont(90, 7, acCAP2)); !bytes.Equal(got, acNetworkLocUp) {
		t.Fatalf("a later Continue's dialogue portion replaced the context: %x", got)
	}
	// A new Begin reusing the id is a new dialogue.
	observe(d, now, vlr, hlr, begin(7, acCAP2))
	if got := observe(d, now, hlr, vlr, cont(91, 7, nil)); !bytes.Equal(got, acCAP2) {
		t.Fatalf("reused id: %x", got)
	}
}

// Ended dialogues give way first when the table is full.
func TestDialoguesEndedGiveWayFirst(t *testing.T) {
	d := NewDialogues(DialoguesConfig{Max: 8})
	now := time.Unix(1000, 0)
	for i := range uint32(4) { // 4 dialogues, 8 entries: full
		observe(d, now, vlr, hlr, begin(i, acNetworkLocUp))
		observe(d, now, hlr, vlr, cont(100+i, i, acNetworkLocUp))
	}
	observe(d, now, hlr, vlr, end(0)) // dialogue 0 ends
	observe(d, now.Add(time.Millisecond), vlr, hlr, begin(50, acCAP2))
	if d.Evictions() != 0 {
		t.Fatalf("%d live entries evicted while an ended one could give way", d.Evictions())
	}
	if got := observe(d, now, vlr, hlr, cont(1, 101, nil)); !bytes.Equal(got, acNetworkLocUp) {
		t.Fatalf("a live dialogue was evicted: %x", got)
	}
}

// The responder's first Continue without an AARE (a dialogue begun with
// a name the responder accepts silently is not Q.771, but a Continue that
// carries none must still inherit the Begin's).
func TestDialoguesInheritWithoutAARE(t *testing.T) {
	d := NewDialogues(DialoguesConfig{})
	now := time.Unix(1000, 0)
	observe(d, now, vlr, hlr, begin(1, acCAP2))
	if got := observe(d, now, hlr, vlr, cont(2, 1, nil)); !bytes.Equal(got, acCAP2) {
		t.Fatalf("responder's first Continue: %x", got)
	}
	if got := observe(d, now, vlr, hlr, cont(1, 2, nil)); !bytes.Equal(got, acCAP2) {
		t.Fatalf("initiator's Continue: %x", got)
	}
}

// A reused id begins a new dialogue: a Begin without a name forgets the
// old one's, and an unknown dialogue's messages get none.
func TestDialoguesReuseAndUnknown(t *testing.T) {
	d := NewDialogues(DialoguesConfig{})
	now := time.Unix(1000, 0)
	observe(d, now, vlr, hlr, begin(5, acNetworkLocUp))
	observe(d, now, vlr, hlr, begin(5, nil)) // MAP v1, same id
	if got := observe(d, now, hlr, vlr, cont(6, 5, nil)); len(got) != 0 {
		t.Fatalf("v1 dialogue inherited %x", got)
	}
	if got := observe(d, now, hlr, vlr, cont(66, 55, nil)); len(got) != 0 {
		t.Fatalf("unknown dialogue got %x", got)
	}
	if got := observe(d, now, hlr, vlr, end(55)); len(got) != 0 {
		t.Fatalf("unknown End got %x", got)
	}
}

// Entries are forgotten IdleTimeout after their dialogue's last message.
func TestDialoguesIdleTimeout(t *testing.T) {
	d := NewDialogues(DialoguesConfig{IdleTimeout: time.Second})
	now := time.Unix(1000, 0)
	observe(d, now, vlr, hlr, begin(1, acNetworkLocUp))
	if got := observe(d, now.Add(900*time.Millisecond), hlr, vlr, cont(2, 1, nil)); len(got) == 0 {
		t.Fatal("forgotten before the timeout")
	}
	if got := observe(d, now.Add(2500*time.Millisecond), vlr, hlr, cont(1, 2, nil)); len(got) != 0 {
		t.Fatalf("remembered after the timeout: %x", got)
	}
}

// A flood of Begins never grows the table, evicts (and counts) rather
// than refuses, and a name longer than MaxACN is kept truncated — never
// confused with the MAP name it starts like.
func TestDialoguesBounded(t *testing.T) {
	d := NewDialogues(DialoguesConfig{Max: 64})
	if len(d.slots) != 64 {
		t.Fatalf("%d slots", len(d.slots))
	}
	now := time.Unix(1000, 0)
	for i := range uint32(10000) {
		observe(d, now, vlr, hlr, begin(i, acNetworkLocUp))
	}
	if len(d.slots) != 64 || d.Evictions() < 10000-64 {
		t.Fatalf("%d slots, %d evictions", len(d.slots), d.Evictions())
	}
	long := append(append([]byte{}, acNetworkLocUp...), bytes.Repeat([]byte{1}, 20)...)
	observe(d, now, vlr, hlr, begin(20000, long))
	got := observe(d, now, hlr, vlr, cont(20001, 20000, nil))
	if len(got) != MaxACN || !bytes.Equal(got, long[:MaxACN]) {
		t.Fatalf("long name kept as %x", got)
	}
}

func TestDialoguesObserveAllocatesNothing(t *testing.T) {
	d := NewDialogues(DialoguesConfig{})
	now := time.Unix(1000, 0)
	var acn [MaxACN]byte
	b, c, e := begin(1, acNetworkLocUp), cont(2, 1, nil), end(2)
	if n := testing.AllocsPerRun(100, func() {
		d.Observe(now, vlr, hlr, &b, &acn)
		d.Observe(now, hlr, vlr, &c, &acn)
		d.Observe(now, vlr, hlr, &e, &acn)
	}); n != 0 {
		t.Fatalf("%v allocations per dialogue", n)
	}
}
