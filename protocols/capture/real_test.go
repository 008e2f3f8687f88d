package capture

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Real captures from ../shared/pcaps (see INDEX.md there), compared with
// tshark where it is installed.

const tsharkPath = "/usr/bin/tshark"

// expectedDiameter are tshark 4.0's Diameter message counts for the files
// named in the brief; every file is also compared with tshark live.
var expectedDiameter = map[string]int{
	"magma_gx_gy_combined_04_32ue.pcapng":     1288,
	"open5gs_testepc_historic.pcapng":         132, // Diameter over TCP, NULL link type
	"open5gs_testcups_historic.pcapng":        118,
	"diameter_arkime_synthetic_tcp_sctp.pcap": 8,
	"magma_gx_gy_combined_06_gy_quota.pcapng": 64, // one message in two SCTP fragments
	"magma_nsa_connection.pcap":               12, // TCP over SLL
	"diameter_ndpi_tcp_gy_ccr.pcap":           6,
	"diameter_pypacker_sctp_cea.pcap":         1, // PPID 0 on port 3868
	"open5gs_volte.pcapng":                    6,
	"open5gs_ims_nonipsec_reg.pcapng":         14,
}

func captureFiles(t testing.TB) []string {
	ents, err := os.ReadDir(pcapDir())
	if err != nil {
		t.Skip("no capture folder:", err)
	}
	var files []string
	for _, e := range ents {
		if !e.IsDir() && !strings.HasSuffix(e.Name(), ".md") {
			files = append(files, e.Name())
		}
	}
	if len(files) == 0 {
		t.Skip("capture folder is empty")
	}
	return files
}

// ourCounts reads a file the way the replay tool would.
type ourCounts struct {
	frames, udp, tcp, sctp int
	diameter, m3ua         int
	problems               int
	truncatedData          int // DATA chunks reported truncated (tshark still decodes their head)
}

func countFile(t *testing.T, path string) ourCounts {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res := collect(t, data, Options{TCPFramer: diameterTCPFramer})
	var c ourCounts
	for _, m := range res.msgs {
		switch m.Transport {
		case TransportUDP:
			c.udp++
		case TransportTCP:
			c.tcp++
			c.diameter++ // only port-3868 flows are framed, with the Diameter framer
		case TransportSCTP:
			c.sctp++
			if m.PPID == 46 || m.Src.Port() == 3868 || m.Dst.Port() == 3868 {
				c.diameter++
			}
			if m.PPID == 3 {
				c.m3ua++
			}
		}
	}
	for _, p := range res.probs {
		t.Log(p)
		if p.Layer == "sctp" && strings.HasPrefix(p.Reason, "chunk type 0 ") {
			c.truncatedData++
		}
	}
	c.problems = len(res.probs)
	c.frames = int(res.stats.Packets)
	return c
}

func tshark(t *testing.T, args ...string) string {
	out, err := exec.Command(tsharkPath, args...).Output()
	if err != nil {
		t.Fatalf("tshark %v: %v", args, err)
	}
	return string(out)
}

// tsharkCounts runs tshark once over a file and returns:
//   - the Diameter message count as the brief defines it: the
//     comma-separated diameter.cmd.code values of frames matching "diameter";
//   - the M3UA message count, once per (association direction, TSN of the
//     chunk that ends the message), since tshark shows a retransmitted DATA
//     chunk again while the reader reports it once; and the count as shown.
func tsharkCounts(t *testing.T, path string) (diameter, m3uaUnique, m3uaShown int) {
	out := tshark(t, "-n", "-r", path, "-Y", "diameter || m3ua", "-T", "fields", "-E", "separator=|",
		"-e", "diameter.cmd.code",
		"-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
		"-e", "sctp.srcport", "-e", "sctp.dstport", "-e", "sctp.verification_tag",
		"-e", "sctp.data_tsn_raw", "-e", "sctp.data_payload_proto_id", "-e", "sctp.data_e_bit",
		"-e", "m3ua.message_class")
	count := func(field string) int {
		if field == "" {
			return 0
		}
		return len(strings.Split(field, ","))
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 12 {
			continue
		}
		diameter += count(f[0])
		msgs := count(f[11])
		if msgs == 0 {
			continue
		}
		m3uaShown += msgs
		assoc := strings.Join(f[1:8], "|")
		tsns, ppids, ends := strings.Split(f[8], ","), strings.Split(f[9], ","), strings.Split(f[10], ",")
		var keys []string
		for i := range tsns {
			if i < len(ppids) && i < len(ends) && ppids[i] == "3" && (ends[i] == "1" || ends[i] == "True") {
				keys = append(keys, assoc+"|"+tsns[i])
			}
		}
		if len(keys) != msgs {
			m3uaUnique += msgs // cannot pair messages with chunks: count as shown
			continue
		}
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				m3uaUnique++
			}
		}
	}
	return diameter, m3uaUnique, m3uaShown
}

func TestRealCaptures(t *testing.T) {
	files := captureFiles(t)
	_, err := os.Stat(tsharkPath)
	haveTshark := err == nil && !testing.Short()
	if !haveTshark {
		t.Log("tshark not installed (or -short): comparing with the recorded counts only")
	}
	var mu sync.Mutex
	rows := map[string]string{}
	t.Cleanup(func() {
		names := make([]string, 0, len(rows))
		for n := range rows {
			names = append(names, n)
		}
		sort.Strings(names)
		var b strings.Builder
		fmt.Fprintf(&b, "\n%-48s %6s %6s %5s %5s | %9s %9s | %7s %13s | %s\n", "file", "frames", "udp", "tcp", "sctp", "dia ours", "dia tshk", "m3ua", "m3ua tshk", "problems")
		for _, n := range names {
			b.WriteString(rows[n])
		}
		t.Log(b.String())
	})
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(pcapDir(), name)
			c := countFile(t, path) // fails the test on a fatal error or a hang
			if want, ok := expectedDiameter[name]; ok && c.diameter != want {
				t.Errorf("Diameter messages: got %d, want %d", c.diameter, want)
			}
			tdia, tm3ua, tm3uaAll := "-", "-", ""
			if haveTshark {
				d, u, all := tsharkCounts(t, path)
				if c.diameter != d {
					t.Errorf("Diameter messages: got %d, tshark %d", c.diameter, d)
				}
				// A DATA chunk longer than the captured packet is a Problem
				// here, while tshark still decodes the M3UA header in it.
				if c.m3ua+c.truncatedData != u {
					t.Errorf("M3UA messages: got %d (+%d truncated), tshark %d unique (%d shown)", c.m3ua, c.truncatedData, u, all)
				}
				tdia, tm3ua = fmt.Sprint(d), fmt.Sprint(u)
				if all != u {
					tm3uaAll = fmt.Sprintf(" (%d shown)", all)
				}
			}
			m3 := fmt.Sprint(c.m3ua)
			if c.truncatedData > 0 {
				m3 += fmt.Sprintf("+%dt", c.truncatedData)
			}
			mu.Lock()
			rows[name] = fmt.Sprintf("%-48s %6d %6d %5d %5d | %9d %9s | %7s %13s | %d\n",
				name, c.frames, c.udp, c.tcp, c.sctp, c.diameter, tdia, m3, tm3ua+tm3uaAll, c.problems)
			mu.Unlock()
		})
	}
}

// TestRealFragmentedDiameter checks the one Diameter message split across
// two SCTP DATA fragments (frames 30 and 31 of magma_06): it is reported
// once, whole, at frame 31 with tshark's timestamp for that frame.
func TestRealFragmentedDiameter(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(pcapDir(), "magma_gx_gy_combined_06_gy_quota.pcapng"))
	if err != nil {
		t.Skip(err)
	}
	res := collect(t, data, Options{})
	if res.stats.SCTPReassembled != 1 {
		t.Fatalf("%d reassembled messages", res.stats.SCTPReassembled)
	}
	for _, m := range res.msgs {
		if m.Frame != 31 || m.Transport != TransportSCTP {
			continue
		}
		want := time.Unix(1620246696, 299222000)
		if len(m.Data) != 1536 || m.PPID != 46 || m.Stream != 0 || !m.Time.Equal(want) {
			t.Fatalf("frame 31: %d bytes, PPID %d, stream %d, time %v", len(m.Data), m.PPID, m.Stream, m.Time)
		}
		if code := int(m.Data[5])<<16 | int(m.Data[6])<<8 | int(m.Data[7]); code != 272 || int(m.Data[1])<<16|int(m.Data[2])<<8|int(m.Data[3]) != 1536 {
			t.Fatalf("not the expected CCA: code %d", code)
		}
		return
	}
	t.Fatal("no message at frame 31")
}
