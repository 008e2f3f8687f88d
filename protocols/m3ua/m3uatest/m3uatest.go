// Package m3uatest helps test code that reads M3UA and what it carries:
// it extracts M3UA user messages (SCTP DATA chunks with payload protocol
// identifier 3, fragments joined) from captures, writes messages into a
// capture, and reads tshark's dissection of a capture (PDML) as an
// independent oracle. It is for tests only: it allocates freely.
package m3uatest

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Frame is one captured packet and the M3UA messages it completes.
type Frame struct {
	Number   int      // 1-based, as tshark numbers frames
	Messages [][]byte // user messages with PPID 3 completed in this frame
	// Incomplete is set when gopacket could not decode the whole packet
	// (a truncated chunk, say): its messages may be missing.
	Incomplete bool
}

type fragKey struct {
	src, dst string
	stream   uint16
}

// ReadPcap returns every frame of a pcap file with its M3UA messages.
// Fragmented user messages (B/E bits) are joined per direction and stream
// and reported in the frame of their last fragment.
func ReadPcap(path string) ([]Frame, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return nil, err
	}
	frags := map[fragKey][]byte{}
	var frames []Frame
	for n := 1; ; n++ {
		data, _, err := r.ReadPacketData()
		if err != nil {
			break
		}
		pkt := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		fr := Frame{Number: n, Incomplete: pkt.ErrorLayer() != nil}
		var src, dst string
		if nl := pkt.NetworkLayer(); nl != nil {
			src, dst = nl.NetworkFlow().Src().String(), nl.NetworkFlow().Dst().String()
		}
		if s, ok := pkt.Layer(layers.LayerTypeSCTP).(*layers.SCTP); ok {
			src += ":" + strconv.Itoa(int(s.SrcPort))
			dst += ":" + strconv.Itoa(int(s.DstPort))
		}
		for _, l := range pkt.Layers() {
			d, ok := l.(*layers.SCTPData)
			if !ok || d.PayloadProtocol != 3 {
				continue
			}
			k := fragKey{src, dst, d.StreamId}
			switch {
			case d.BeginFragment && d.EndFragment:
				fr.Messages = append(fr.Messages, bytes.Clone(d.Payload))
			case d.BeginFragment:
				frags[k] = bytes.Clone(d.Payload)
			case frags[k] != nil:
				frags[k] = append(frags[k], d.Payload...)
				if d.EndFragment {
					fr.Messages = append(fr.Messages, frags[k])
					delete(frags, k)
				}
			}
		}
		frames = append(frames, fr)
	}
	return frames, nil
}

// WritePcap writes one Ethernet/IPv4/SCTP packet per message, each with one
// DATA chunk (PPID 3, port 2905 both ways, TSN counting up).
func WritePcap(path string, messages [][]byte) error {
	var out bytes.Buffer
	le := binary.LittleEndian
	hdr := make([]byte, 24)
	le.PutUint32(hdr[0:], 0xa1b2c3d4)
	le.PutUint16(hdr[4:], 2)
	le.PutUint16(hdr[6:], 4)
	le.PutUint32(hdr[16:], 262144)
	le.PutUint32(hdr[20:], 1) // LINKTYPE_ETHERNET
	out.Write(hdr)
	be := binary.BigEndian
	for i, m := range messages {
		chunk := make([]byte, 16, 16+len(m)+3)
		chunk[0], chunk[1] = 0, 0x03 // DATA, B and E
		be.PutUint16(chunk[2:], uint16(16+len(m)))
		be.PutUint32(chunk[4:], uint32(i+1)) // TSN
		be.PutUint16(chunk[8:], 1)           // stream
		be.PutUint16(chunk[10:], uint16(i))  // stream sequence
		be.PutUint32(chunk[12:], 3)          // PPID: M3UA
		chunk = append(chunk, m...)
		for len(chunk)%4 != 0 {
			chunk = append(chunk, 0)
		}
		sctp := make([]byte, 12, 12+len(chunk))
		be.PutUint16(sctp[0:], 2905)
		be.PutUint16(sctp[2:], 2905)
		be.PutUint32(sctp[4:], 0x01020304)
		sctp = append(sctp, chunk...)
		le.PutUint32(sctp[8:], crc32.Checksum(sctp, crc32.MakeTable(crc32.Castagnoli)))
		ip := make([]byte, 20)
		ip[0], ip[8], ip[9] = 0x45, 64, 132
		be.PutUint16(ip[2:], uint16(20+len(sctp)))
		be.PutUint16(ip[4:], uint16(i+1))
		copy(ip[12:], []byte{192, 0, 2, 1})
		copy(ip[16:], []byte{192, 0, 2, 2})
		var sum uint32
		for j := 0; j < 20; j += 2 {
			sum += uint32(be.Uint16(ip[j:]))
		}
		for sum > 0xffff {
			sum = sum&0xffff + sum>>16
		}
		be.PutUint16(ip[10:], ^uint16(sum))
		frame := append([]byte{0, 0, 0x5e, 0, 0x53, 2, 0, 0, 0x5e, 0, 0x53, 1, 0x08, 0x00}, ip...)
		frame = append(frame, sctp...)
		if len(frame) > 262144 {
			return errors.New("m3uatest: message too large for a frame")
		}
		rec := make([]byte, 16)
		le.PutUint32(rec[0:], uint32(1700000000+i))
		le.PutUint32(rec[8:], uint32(len(frame)))
		le.PutUint32(rec[12:], uint32(len(frame)))
		out.Write(rec)
		out.Write(frame)
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// Field is a node of tshark's PDML tree: a protocol or a field.
type Field struct {
	Name     string  `xml:"name,attr"`
	Show     string  `xml:"show,attr"`
	ShowName string  `xml:"showname,attr"`
	Value    string  `xml:"value,attr"`
	Fields   []Field `xml:"field"`
	Protos   []Field `xml:"proto"`
}

// Packet is one packet of a PDML document: its protocols in order.
type Packet struct {
	Protos []Field `xml:"proto"`
}

// Find returns every field named name at or below f, depth first in
// document order (including inside nested protocols).
func (f *Field) Find(name string) []*Field {
	var out []*Field
	var walk func(*Field)
	walk = func(x *Field) {
		if x.Name == name {
			out = append(out, x)
		}
		for i := range x.Fields {
			walk(&x.Fields[i])
		}
		for i := range x.Protos {
			walk(&x.Protos[i])
		}
	}
	walk(f)
	return out
}

// Shows returns the show values of Find(name).
func (f *Field) Shows(name string) []string {
	var out []string
	for _, x := range f.Find(name) {
		out = append(out, x.Show)
	}
	return out
}

// First returns the show value of the first field named name, or "".
func (f *Field) First(name string) string {
	if s := f.Find(name); len(s) > 0 {
		return s[0].Show
	}
	return ""
}

// Protocols returns the packet's top-level protocols named name, and those
// nested in them (tshark nests SCCP inside M3UA's tree in some versions).
func (p *Packet) Protocols(name string) []*Field {
	var out []*Field
	for i := range p.Protos {
		root := &p.Protos[i]
		if root.Name == name {
			out = append(out, root)
			continue
		}
		for _, x := range root.Find(name) {
			if x != root {
				out = append(out, x)
			}
		}
	}
	return out
}

// Num parses a tshark number ("12", "0x0c"); -1 when s is not one.
func Num(s string) int64 {
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return -1
	}
	return v
}

// Tshark dissects a capture with tshark (no user preferences; extra
// arguments such as "-o", "pref:value" are passed on) and returns its PDML
// packets.
func Tshark(tshark, path string, args ...string) ([]Packet, error) {
	dir, err := os.MkdirTemp("", "m3uatest")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cmd := exec.Command(tshark, append(append([]string{"-n", "-r", path}, args...), "-T", "pdml")...)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("tshark: %v: %s", err, stderr.Bytes())
	}
	var doc struct {
		Packets []Packet `xml:"packet"`
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("PDML: %v", err)
	}
	return doc.Packets, nil
}
