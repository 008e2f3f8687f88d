package gsmmap

import (
	"testing"

	"breakwater/protocols/tcap"
	"breakwater/protocols/view"
)

// benchMessages are the four shapes the firewall sees most among the
// operations GSMA FS.11 judges: the location probes (ATI, PSI), the
// subscriber-data push (ISD with forwarding and CAMEL data) and a
// location update (the real TC-BEGIN of map_timkam_updateLocation_invoke).
func benchMessages() map[string][]byte {
	m := map[string][]byte{}
	for _, c := range decodeCases() {
		switch c.name {
		case "anyTimeInterrogation by MSISDN":
			m["ATI"] = c.in
		case "provideSubscriberInfo location and state":
			m["PSI"] = c.in
		case "insertSubscriberData forwarding and CAMEL":
			m["ISD"] = c.in
		}
	}
	m["UL"] = hx(`625d480325c60f6b1e281c060700118605010101a011600f80020780a109060704000001000103
		6c36a134020101020102302c040854046001073104f581069168315214930406916831521493
		8a04053b4600a60a800206c08400850206c0`)
	return m
}

func BenchmarkDecode(b *testing.B) {
	for _, name := range []string{"ATI", "PSI", "ISD", "UL"} {
		msg := benchMessages()[name]
		b.Run(name, func(b *testing.B) {
			var v view.Message
			if err := DecodeBytes(msg, &v); err != nil || v.Malformed != "" || v.Op == "" {
				b.Fatalf("%v %q %q", err, v.Malformed, v.Op)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				DecodeBytes(msg, &v)
			}
		})
	}
}

// BenchmarkTCAPOnly is the TCAP layer alone on the same messages.
func BenchmarkTCAPOnly(b *testing.B) {
	for _, name := range []string{"ATI", "PSI", "ISD", "UL"} {
		msg := benchMessages()[name]
		b.Run(name, func(b *testing.B) {
			var m tcap.Message
			b.ReportAllocs()
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				tcap.Parse(msg, &m)
			}
		})
	}
}
