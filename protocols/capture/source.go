package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// source yields the records of a capture file. Only this file knows about
// pcapgo; everything above works on (bytes, time, link type, interface).
type source interface {
	// next returns the next record. data is only valid until the next call.
	next() (data []byte, ts time.Time, link uint32, iface int, err error)
}

// File magics, as the first four bytes read big-endian.
const (
	magicPcapMicro         = 0xa1b2c3d4
	magicPcapMicroSwapped  = 0xd4c3b2a1
	magicPcapNano          = 0xa1b23c4d
	magicPcapNanoSwapped   = 0x4d3cb2a1
	magicPcapPatched       = 0xa1b2cd34 // Kuznetzov's patched libpcap: 24-byte record headers
	magicPcapPatchedSwaped = 0x34cdb2a1
	magicPcapng            = 0x0a0d0d0a
)

// readBufferSize is large because files are read sequentially and the
// per-record overhead of a small buffer shows up at >1M records/s.
const readBufferSize = 1 << 16

// openSource sniffs the format (optionally inside gzip) and opens a source.
func openSource(rd io.Reader) (source, error) {
	br := bufio.NewReaderSize(rd, readBufferSize)
	magic, err := br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, gerr := gzip.NewReader(br)
		if gerr != nil {
			return nil, fmt.Errorf("capture: gzip header: %w", gerr)
		}
		br = bufio.NewReaderSize(gz, readBufferSize)
		magic, err = br.Peek(4)
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("capture: file too short for a pcap/pcapng header (%d bytes)", len(magic))
		}
		return nil, fmt.Errorf("capture: reading file header: %w", err)
	}
	switch m := binary.BigEndian.Uint32(magic); m {
	case magicPcapng:
		return openPcapng(br)
	case magicPcapMicro, magicPcapMicroSwapped, magicPcapNano, magicPcapNanoSwapped,
		magicPcapPatched, magicPcapPatchedSwaped:
		return openPcap(br, m)
	default:
		return nil, fmt.Errorf("capture: not a pcap or pcapng file (magic %08x)", m)
	}
}

// guard turns a panic inside pcapgo into an error, so that a bug there on a
// hostile file ends the read instead of the program.
func guard(err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("capture: record reader failed: %v", p)
	}
}

type pcapSource struct {
	r    *pcapgo.Reader
	link uint32
}

func openPcap(br *bufio.Reader, magic uint32) (s source, err error) {
	defer guard(&err)
	in, err := normalizePcapHeader(br, magic)
	if err != nil {
		return nil, err
	}
	r, err := pcapgo.NewReader(in)
	if err != nil {
		return nil, fmt.Errorf("capture: pcap header: %w", err)
	}
	return &pcapSource{r: r, link: uint32(r.LinkType())}, nil
}

func (s *pcapSource) next() (data []byte, ts time.Time, link uint32, iface int, err error) {
	defer guard(&err)
	data, ci, err := s.r.ZeroCopyReadPacketData()
	return data, ci.Timestamp, s.link, 0, err
}

type pcapngSource struct {
	r *pcapgo.NgReader
}

func openPcapng(br *bufio.Reader) (s source, err error) {
	defer guard(&err)
	// WantMixedLinkType: each interface keeps its own link type instead of
	// packets on interfaces unlike the first being dropped silently.
	r, err := pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true})
	if err != nil {
		return nil, fmt.Errorf("capture: pcapng section header: %w", err)
	}
	return &pcapngSource{r: r}, nil
}

func (s *pcapngSource) next() (data []byte, ts time.Time, link uint32, iface int, err error) {
	defer guard(&err)
	data, ci, err := s.r.ZeroCopyReadPacketData()
	if err != nil {
		return nil, time.Time{}, 0, 0, err
	}
	if len(ci.AncillaryData) > 0 {
		if lt, ok := ci.AncillaryData[0].(layers.LinkType); ok {
			link = uint32(lt)
		}
	}
	return data, ci.Timestamp, link, ci.InterfaceIndex, nil
}

// normalizePcapHeader lets pcapgo read pcap variants it does not know: any
// 2.x version (libpcap reads them all the same way) and Kuznetzov's patched
// format, whose records carry 8 extra header bytes that are stripped here.
func normalizePcapHeader(br *bufio.Reader, magic uint32) (io.Reader, error) {
	hdr, err := br.Peek(24)
	if err != nil {
		return nil, fmt.Errorf("capture: pcap file header truncated (%d of 24 bytes)", len(hdr))
	}
	var order binary.ByteOrder = binary.BigEndian
	if magic == magicPcapMicroSwapped || magic == magicPcapNanoSwapped || magic == magicPcapPatchedSwaped {
		order = binary.LittleEndian
	}
	major, minor := order.Uint16(hdr[4:6]), order.Uint16(hdr[6:8])
	if major != 2 {
		return nil, fmt.Errorf("capture: unsupported pcap version %d.%d", major, minor)
	}
	patched := magic == magicPcapPatched || magic == magicPcapPatchedSwaped
	if minor == 4 && !patched {
		return br, nil
	}
	var fixed [24]byte
	copy(fixed[:], hdr)
	order.PutUint16(fixed[6:8], 4)
	if patched {
		order.PutUint32(fixed[0:4], magicPcapMicro)
	}
	if _, err := br.Discard(24); err != nil {
		return nil, err
	}
	var rest io.Reader = br
	if patched {
		rest = &patchedRecords{r: br, order: order}
	}
	return io.MultiReader(bytes.NewReader(fixed[:]), rest), nil
}

// patchedRecords rewrites the records of a Kuznetzov-patched pcap file into
// standard ones by dropping the ifindex/protocol/pkt_type/pad bytes that
// follow each standard 16-byte record header.
type patchedRecords struct {
	r       io.Reader
	order   binary.ByteOrder
	hdr     [24]byte
	pending []byte // rewritten record header not yet returned
	remain  uint64 // record data bytes still to pass through
}

func (p *patchedRecords) Read(b []byte) (int, error) {
	if len(p.pending) == 0 && p.remain == 0 {
		n, err := io.ReadFull(p.r, p.hdr[:])
		if err != nil {
			if err == io.ErrUnexpectedEOF || (err == io.EOF && n > 0) {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		p.pending = p.hdr[:16]
		p.remain = uint64(p.order.Uint32(p.hdr[8:12]))
	}
	if len(p.pending) > 0 {
		n := copy(b, p.pending)
		p.pending = p.pending[n:]
		return n, nil
	}
	if uint64(len(b)) > p.remain {
		b = b[:p.remain]
	}
	n, err := p.r.Read(b)
	p.remain -= uint64(n)
	if err == io.EOF && p.remain > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
