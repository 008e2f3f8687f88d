package audit

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"breakwater/firewall/engine"
	"breakwater/firewall/network"
	"breakwater/firewall/pseudonym"
	"breakwater/firewall/rules"
	"breakwater/protocols/view"
)

// line formats one record as the writer would.
func line(t testing.TB, clear bool, m *view.Message, v *engine.Verdict, relay string) []byte {
	t.Helper()
	w := &writer{clear: clear}
	if !clear {
		w.hasher = pseudonym.New([]byte(testKey))
	}
	var e entry
	e.set(m, v, relay)
	return w.appendLine(nil, &e)
}

func decodeOne(t testing.TB, b []byte) map[string]any {
	t.Helper()
	lines := decodeLines(t, "line", b)
	if len(lines) != 1 {
		t.Fatalf("%d lines in %q", len(lines), b)
	}
	return lines[0]
}

// TestExampleLine pins the exact format of a line: field order, number
// and time formats. Changing it changes what operators' parsers read.
func TestExampleLine(t *testing.T) {
	got := string(line(t, false, diameterMsg(t, 1), verdict(rules.Drop), "dra-1"))
	want := `{"time":"2025-03-04T04:06:07.000000090Z","relay":"dra-1","partner":"partner-a","receiver":"home",` +
		`"direction":"inbound","src":"192.0.2.10:3868","dst":"198.51.100.20:3868","protocol":"diameter","op":"IDR",` +
		`"code":319,"app":16777251,"request":true,"transaction":1,"verdict":"drop","rule":"dia.cat1.idr-location",` +
		`"category":"1","policy":"base.1+rules.abc",` +
		`"imsi_pseudonym":"` + pseudonym.New([]byte(testKey)).String("imsi", []byte(testIMSI)) + `",` +
		`"msisdn_pseudonym":"` + pseudonym.New([]byte(testKey)).String("msisdn", []byte(testMSISDN)) + `"}` + "\n"
	if got != want {
		t.Fatalf("line\n%s\nwant\n%s", got, want)
	}
}

func TestLineFields(t *testing.T) {
	keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
	base := []string{"time", "relay", "partner", "direction", "protocol", "op", "code", "request", "transaction",
		"verdict", "rule", "category", "policy"}

	// A Diameter answer from home to a partner, malformed, with a result.
	m := diameterMsg(t, 1)
	m.Request, m.ResultCode, m.Malformed = false, 5001, "AVP length past the end"
	m.IMSI, m.MSISDN = view.Digits{}, view.Digits{}
	v := verdict(rules.Reject)
	v.Sender, v.Receiver = homeNet, partnerA
	d := decodeOne(t, line(t, false, m, v, "dra"))
	want := slices.Sorted(slices.Values(append(base, "receiver", "src", "dst", "app", "result_code", "malformed")))
	if got := keys(d); !slices.Equal(got, want) {
		t.Fatalf("diameter answer fields %v, want %v", got, want)
	}
	if d["partner"] != "home" || d["receiver"] != "partner-a" || d["direction"] != "outbound" ||
		d["request"] != false || d["result_code"].(json.Number) != "5001" || d["malformed"] != m.Malformed {
		t.Fatalf("diameter answer: %v", d)
	}

	// A MAP request from an unknown sender: GTs, no app, addresses in
	// their plain forms.
	m = mapMsg(t)
	v = verdict(rules.Drop)
	v.Sender, v.Receiver = nil, nil
	d = decodeOne(t, line(t, false, m, v, "stp"))
	want = slices.Sorted(slices.Values(append(base, "src", "dst", "msisdn_pseudonym", "calling_gt", "called_gt")))
	if got := keys(d); !slices.Equal(got, want) {
		t.Fatalf("MAP fields %v, want %v", got, want)
	}
	for k, v := range map[string]string{
		"partner": "unknown", "direction": "unknown", "protocol": "map", "op": "anyTimeInterrogation",
		"src": "192.0.2.30:2905", "dst": "[2001:db8::1]:2905", "calling_gt": "447700900123", "called_gt": "491700000001",
		"time": "2025-03-04T04:06:07.000000089Z",
	} {
		if d[k] != v {
			t.Errorf("%s = %v, want %s", k, d[k], v)
		}
	}
	if d["transaction"].(json.Number) != "3735928559" || d["code"].(json.Number) != "71" {
		t.Errorf("numbers: %v %v", d["transaction"], d["code"])
	}

	// Clear identities: the same fields without the suffix.
	d = decodeOne(t, line(t, true, diameterMsg(t, 1), verdict(rules.Drop), "dra"))
	if d["imsi"] != testIMSI || d["msisdn"] != testMSISDN || d["imsi_pseudonym"] != nil {
		t.Fatalf("clear identities: %v", d)
	}

	// Transactions use all 64 bits (Diameter end-to-end<<32 | hop-by-hop)
	// and must survive exactly.
	m = diameterMsg(t, 1)
	m.Transaction = 1<<64 - 1
	d = decodeOne(t, line(t, false, m, verdict(rules.Drop), "dra"))
	if d["transaction"].(json.Number) != "18446744073709551615" {
		t.Fatalf("transaction %v", d["transaction"])
	}
}

// TestHostileStrings: names and descriptions may hold anything; the line
// must stay one valid JSON object and the strings come back as JSON
// itself would encode them.
func TestHostileStrings(t *testing.T) {
	nasty := []string{
		"quote\" backslash\\ slash/",
		"new\nline\rreturn\ttab\x00nul\x1funit\x7fdel",
		"bad utf-8 \xff\xfe and cut \xe2\x82",
		"separators \u2028 \u2029 emoji \U0001F600 accents é",
		`}{"injected":true}` + "\n" + `{"a":"`,
	}
	for _, s := range nasty {
		m := diameterMsg(t, 1)
		m.Op, m.Malformed = s, s
		m.Src = netip.AddrPortFrom(netip.MustParseAddr("fe80::1").WithZone(s), 1)
		v := verdict(rules.Drop)
		v.Sender = &network.Member{Name: s}
		v.Rule = &rules.Rule{ID: s, Category: rules.Category(s)}
		b := line(t, false, m, v, s)
		if strings.Count(string(b), "\n") != 1 {
			t.Fatalf("%q: line breaks inside the line: %q", s, b)
		}
		d := decodeOne(t, b)
		var want string
		enc, _ := json.Marshal(s)
		if err := json.Unmarshal(enc, &want); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"relay", "partner", "op", "malformed", "rule", "category"} {
			if d[k] != want {
				t.Errorf("%q: %s = %q, want %q", s, k, d[k], want)
			}
		}
		if _, ok := d["injected"]; ok {
			t.Fatalf("%q injected a field", s)
		}
	}
}

// FuzzAppendString: any bytes give a valid JSON string that decodes as
// encoding/json's own encoding of them does.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x00", "\"\\", "\xff", "\u2028", "é\xe2\x82", "\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := appendString([]byte("x"), s)
		if b[0] != 'x' {
			t.Fatal("overwrote the buffer")
		}
		b = b[1:]
		if !json.Valid(b) {
			t.Fatalf("%q: invalid JSON %q", s, b)
		}
		var got, want string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		enc, _ := json.Marshal(s)
		json.Unmarshal(enc, &want)
		if got != want {
			t.Fatalf("%q: decodes to %q, want %q", s, got, want)
		}
		if string(appendString(nil, []byte(s))) != string(b) {
			t.Fatalf("%q: string and []byte encodings differ", s)
		}
	})
}

func TestWriterDoesNotAllocate(t *testing.T) {
	w := &writer{hasher: pseudonym.New([]byte(testKey)), buf: make([]byte, 0, 4096)}
	var e entry
	e.set(mapMsg(t), verdict(rules.Drop), "stp")
	w.buf = w.appendLine(w.buf[:0], &e) // warm up the hasher and scratch space
	if n := testing.AllocsPerRun(200, func() { w.buf = w.appendLine(w.buf[:0], &e) }); n != 0 {
		t.Fatalf("formatting a line allocates %v times", n)
	}
}

// TestAppendTime compares the hand-written time format with AppendFormat.
func TestAppendTime(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 1, time.FixedZone("", -11*3600)),
	}
	for range 2000 {
		times = append(times, time.Unix(r.Int64N(400<<30)-(200<<30), r.Int64N(1e9)))
	}
	for _, tm := range times {
		got, want := string(appendTime(nil, tm)), tm.UTC().Format(timeLayout)
		if got != want {
			t.Fatalf("%v: %s, want %s", tm, got, want)
		}
	}
}
