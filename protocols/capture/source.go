package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// source yields the records of a capture file. Only this file knows about
// file formats; everything above works on (bytes, time, link type,
// interface).
type source interface {
	// next returns the next record. data is only valid until the next call.
	next() (data []byte, ts stamp, link uint32, iface int, err error)
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

// readBufferSize is the initial size of the window a streamed file is read
// through. It is large because files are read sequentially and the
// per-refill overhead of a small buffer shows up at >1M records/s.
const readBufferSize = 1 << 18

// window is the unread part of a capture file. In memory (rd nil) it is the
// caller's whole file and records are handed out as slices of it, without
// copying. Streamed, it is a buffer refilled from rd; a record handed out is
// then valid until the next refill, which happens only inside the next call
// to source.next.
type window struct {
	buf []byte // buf[pos:] is unread
	pos int
	rd  io.Reader // nil: buf is the whole file
	err error     // sticky read error of rd (io.EOF at its end)
}

// peek returns the next n bytes without consuming them. With fewer left it
// returns what there is and io.EOF (none left) or io.ErrUnexpectedEOF, or
// the read error.
func (w *window) peek(n int) ([]byte, error) {
	if n < 0 {
		return nil, errors.New("capture: negative length")
	}
	if len(w.buf)-w.pos < n && w.rd != nil && w.err == nil {
		w.fill(n)
	}
	if avail := len(w.buf) - w.pos; avail < n {
		err := w.err
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
			if avail == 0 {
				err = io.EOF
			}
		}
		return w.buf[w.pos:], err
	}
	return w.buf[w.pos : w.pos+n : w.pos+n], nil
}

// take consumes n bytes previously peeked.
func (w *window) take(n int) { w.pos += n }

// fill reads until n bytes are unread or rd fails. The buffer grows with the
// bytes actually read, so a length field from a hostile file cannot make it
// allocate more than about twice the file's size.
func (w *window) fill(n int) {
	rest := len(w.buf) - w.pos
	if w.pos > 0 {
		copy(w.buf, w.buf[w.pos:])
		w.buf, w.pos = w.buf[:rest], 0
	}
	for len(w.buf) < n && w.err == nil {
		if len(w.buf) == cap(w.buf) {
			nb := make([]byte, len(w.buf), max(2*cap(w.buf), readBufferSize))
			copy(nb, w.buf)
			w.buf = nb
		}
		m, err := w.rd.Read(w.buf[len(w.buf):cap(w.buf)])
		if m < 0 || m > cap(w.buf)-len(w.buf) {
			w.err = errors.New("capture: reader returned an invalid count")
			return
		}
		w.buf = w.buf[:len(w.buf)+m]
		if err != nil {
			w.err = err
		}
	}
}

// openSource sniffs the format (optionally inside gzip) and opens a source.
// mem, when not nil, is the whole file and rd is ignored.
func openSource(rd io.Reader, mem []byte) (source, error) {
	w := &window{buf: mem}
	if mem == nil {
		w.buf, w.rd = make([]byte, 0, readBufferSize), rd
	}
	magic, err := w.peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var src io.Reader = bytes.NewReader(w.buf[w.pos:])
		if w.rd != nil {
			src = io.MultiReader(bytes.NewReader(w.buf[w.pos:]), w.rd)
			if w.err != nil {
				src = bytes.NewReader(w.buf[w.pos:])
			}
		}
		gz, gerr := gzip.NewReader(src)
		if gerr != nil {
			return nil, fmt.Errorf("capture: gzip header: %w", gerr)
		}
		w = &window{buf: make([]byte, 0, readBufferSize), rd: gz}
		magic, err = w.peek(4)
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("capture: file too short for a pcap/pcapng header (%d bytes)", len(magic))
		}
		return nil, fmt.Errorf("capture: reading file header: %w", err)
	}
	switch m := binary.BigEndian.Uint32(magic); m {
	case magicPcapng:
		return openPcapng(w)
	case magicPcapMicro, magicPcapMicroSwapped, magicPcapNano, magicPcapNanoSwapped,
		magicPcapPatched, magicPcapPatchedSwaped:
		return openPcap(w, m)
	default:
		return nil, fmt.Errorf("capture: not a pcap or pcapng file (magic %08x)", m)
	}
}

// byteOrder reads little- or big-endian integers without the interface call
// of binary.ByteOrder.
type byteOrder bool // true: big-endian

func (o byteOrder) u16(b []byte) uint16 {
	if o {
		return binary.BigEndian.Uint16(b)
	}
	return binary.LittleEndian.Uint16(b)
}

func (o byteOrder) u32(b []byte) uint32 {
	if o {
		return binary.BigEndian.Uint32(b)
	}
	return binary.LittleEndian.Uint32(b)
}

func (o byteOrder) u64(b []byte) uint64 {
	if o {
		return binary.BigEndian.Uint64(b)
	}
	return binary.LittleEndian.Uint64(b)
}

// pcapSource reads classic pcap: any 2.x version (libpcap reads them all the
// same way), micro- or nanosecond timestamps, either byte order, and
// Kuznetzov's patched format, whose record headers carry 8 extra bytes.
type pcapSource struct {
	w       *window
	order   byteOrder
	nano    bool
	hdrLen  int
	maxCap  int // records longer than this are corrupt
	link    uint32
	lastSec uint32 // the timestamp of the previous record, reused when equal
	lastSub uint32
	lastTS  stamp
	haveTS  bool
}

// pcapMaxRecord is libpcap's MAXIMUM_SNAPLEN: records up to it are accepted
// whatever the file's snapshot length says.
const pcapMaxRecord = 262144

func openPcap(w *window, magic uint32) (source, error) {
	hdr, err := w.peek(24)
	if err != nil {
		return nil, fmt.Errorf("capture: pcap file header truncated (%d of 24 bytes)", len(hdr))
	}
	s := &pcapSource{w: w, hdrLen: 16}
	switch magic {
	case magicPcapMicro, magicPcapNano, magicPcapPatched:
		s.order = true
	}
	s.nano = magic == magicPcapNano || magic == magicPcapNanoSwapped
	if magic == magicPcapPatched || magic == magicPcapPatchedSwaped {
		s.hdrLen = 24
	}
	major, minor := s.order.u16(hdr[4:6]), s.order.u16(hdr[6:8])
	if major != 2 {
		return nil, fmt.Errorf("capture: unsupported pcap version %d.%d", major, minor)
	}
	snaplen := s.order.u32(hdr[16:20])
	s.maxCap = pcapMaxRecord
	if uint64(snaplen) > pcapMaxRecord {
		s.maxCap = int(min(uint64(snaplen), 1<<31-1))
	}
	s.link = s.order.u32(hdr[20:24])
	w.take(24)
	return s, nil
}

func (s *pcapSource) next() (data []byte, ts stamp, link uint32, iface int, err error) {
	h, err := s.w.peek(s.hdrLen)
	if err != nil {
		return nil, stamp{}, 0, 0, err
	}
	sec, sub := s.order.u32(h[0:4]), s.order.u32(h[4:8])
	caplen, origlen := s.order.u32(h[8:12]), s.order.u32(h[12:16])
	if uint64(caplen) > uint64(s.maxCap) {
		return nil, stamp{}, 0, 0, fmt.Errorf("capture length exceeds snap length: %d > %d", caplen, s.maxCap)
	}
	if caplen > origlen {
		return nil, stamp{}, 0, 0, fmt.Errorf("capture length exceeds original packet length: %d > %d", caplen, origlen)
	}
	rec, err := s.w.peek(s.hdrLen + int(caplen))
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, stamp{}, 0, 0, err
	}
	s.w.take(len(rec))
	if sec != s.lastSec || sub != s.lastSub || !s.haveTS {
		nsec := int64(sub)
		if !s.nano {
			nsec *= 1000
		}
		s.lastSec, s.lastSub, s.lastTS, s.haveTS = sec, sub, newStamp(int64(sec), nsec), true
	}
	return rec[s.hdrLen:], s.lastTS, s.link, 0, nil
}

// pcapng block types and options used.
const (
	ngBlockSection    = 0x0a0d0d0a
	ngBlockInterface  = 0x00000001
	ngBlockPacketOld  = 0x00000002 // obsolete Packet Block
	ngBlockSimple     = 0x00000003
	ngBlockStatistics = 0x00000005
	ngBlockEnhanced   = 0x00000006
	ngByteOrderMagic  = 0x1a2b3c4d

	ngOptEnd      = 0
	ngOptTSResol  = 9
	ngOptTSOffset = 14
)

type ngInterface struct {
	link       uint32
	snaplen    uint32
	offset     uint64 // if_tsoffset, seconds
	secondMask uint64 // timestamp units per second
	scaleUp    uint64 // to nanoseconds
	scaleDown  uint64
}

// pcapngSource reads pcapng: several sections, interfaces of any link types
// (each keeps its own), Enhanced, Simple and obsolete Packet Blocks; other
// blocks are skipped. Every field is checked against its block's length.
type pcapngSource struct {
	w      *window
	order  byteOrder
	ifaces []ngInterface

	lastIface int // the timestamp of the previous packet, reused when equal
	lastRaw   uint64
	lastTS    stamp
}

func openPcapng(w *window) (source, error) {
	s := &pcapngSource{w: w, lastIface: -1}
	typ, body, err := s.block()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("capture: pcapng section header: %w", err)
	}
	if typ != ngBlockSection {
		return nil, fmt.Errorf("capture: pcapng section header: block type %#x", typ)
	}
	if err := s.section(body); err != nil {
		return nil, fmt.Errorf("capture: pcapng section header: %w", err)
	}
	return s, nil
}

// block reads the next whole block and returns its type and body (without
// the type, length and trailing length fields; for a section header, with
// the byte-order magic). A section header sets the byte order.
func (s *pcapngSource) block() (typ uint32, body []byte, err error) {
	// The common case first: a block other than a section header, whole
	// in the window (always so for a file in memory).
	if b := s.w.buf[s.w.pos:]; len(b) >= 12 {
		typ, n := s.order.u32(b[0:4]), s.order.u32(b[4:8])
		if typ != ngBlockSection && n >= 12 && uint64(n) <= uint64(len(b)) {
			s.w.pos += int(n)
			return typ, b[8 : n-4 : n], nil
		}
	}
	h, err := s.w.peek(12)
	if err != nil && !(err == io.ErrUnexpectedEOF && len(h) >= 8) {
		return 0, nil, err
	}
	typ = s.order.u32(h[0:4])
	if typ == ngBlockSection {
		if len(h) < 12 {
			return 0, nil, io.ErrUnexpectedEOF
		}
		switch {
		case binary.BigEndian.Uint32(h[8:12]) == ngByteOrderMagic:
			s.order = true
		case binary.LittleEndian.Uint32(h[8:12]) == ngByteOrderMagic:
			s.order = false
		default:
			return 0, nil, errors.New("wrong byte order value in section header")
		}
	}
	n := s.order.u32(h[4:8])
	if n < 12 || (typ == ngBlockSection && n < 28) {
		return 0, nil, fmt.Errorf("block type %#x has an impossible length %d", typ, n)
	}
	if uint64(n) > 1<<31-1 {
		return 0, nil, fmt.Errorf("block type %#x of %d bytes is too long", typ, n)
	}
	b, err := s.w.peek(int(n))
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	s.w.take(int(n))
	return typ, b[8 : n-4], nil
}

// section starts a section: its interfaces are forgotten.
func (s *pcapngSource) section(body []byte) error {
	major, minor := s.order.u16(body[4:6]), s.order.u16(body[6:8])
	if major != 1 || minor != 0 {
		return fmt.Errorf("unsupported pcapng version %d.%d", major, minor)
	}
	s.ifaces = s.ifaces[:0]
	s.lastIface = -1
	return nil
}

// options walks the options in b, calling f for each until the end option
// or the end of b. A malformed option ends the walk.
func (s *pcapngSource) options(b []byte, f func(code uint16, v []byte)) {
	for len(b) >= 4 {
		code, n := s.order.u16(b[0:2]), int(s.order.u16(b[2:4]))
		if code == ngOptEnd || n > len(b)-4 {
			return
		}
		f(code, b[4:4+n])
		b = b[min(4+(n+3)&^3, len(b)):]
	}
}

func (s *pcapngSource) iface(body []byte) error {
	if len(body) < 8 {
		return fmt.Errorf("interface description block of %d bytes is too short", len(body)+12)
	}
	in := ngInterface{link: uint32(s.order.u16(body[0:2])), snaplen: s.order.u32(body[4:8])}
	resol := uint8(6)
	s.options(body[8:], func(code uint16, v []byte) {
		switch {
		case code == ngOptTSResol && len(v) >= 1:
			resol = v[0]
		case code == ngOptTSOffset && len(v) >= 8:
			in.offset = s.order.u64(v)
		}
	})
	if resol == 0 {
		resol = 6
	}
	exp := resol & 0x7f
	if exp > 63 {
		return fmt.Errorf("timestamp resolution exponent %d is too high", exp)
	}
	if resol&0x80 != 0 {
		in.secondMask = 1 << exp
	} else {
		in.secondMask = 1
		for range exp {
			in.secondMask *= 10
		}
	}
	in.scaleUp, in.scaleDown = 1, 1
	if in.secondMask < 1e9 {
		in.scaleUp = 1e9 / in.secondMask
	} else {
		in.scaleDown = in.secondMask / 1e9
	}
	if in.secondMask == 0 { // 10^20 and up wrap around
		in.secondMask, in.scaleUp, in.scaleDown = 1, 1, 1
	}
	s.ifaces = append(s.ifaces, in)
	return nil
}

// time converts a timestamp of interface i, as libpcap does.
func (s *pcapngSource) time(i int, raw uint64) stamp {
	if i == s.lastIface && raw == s.lastRaw {
		return s.lastTS
	}
	in := &s.ifaces[i]
	var sec, frac uint64
	if in.secondMask == 1e6 {
		sec, frac = raw/1e6, raw%1e6*1000
	} else {
		sec, frac = raw/in.secondMask, raw%in.secondMask*in.scaleUp/in.scaleDown
	}
	s.lastIface, s.lastRaw = i, raw
	s.lastTS = newStamp(int64(sec+in.offset), int64(frac))
	return s.lastTS
}

func (s *pcapngSource) next() (data []byte, ts stamp, link uint32, iface int, err error) {
	for {
		typ, body, err := s.block()
		if err != nil {
			return nil, stamp{}, 0, 0, err
		}
		switch typ {
		case ngBlockEnhanced, ngBlockPacketOld:
			if len(body) < 20 {
				return nil, stamp{}, 0, 0, fmt.Errorf("packet block of %d bytes is too short", len(body)+12)
			}
			if typ == ngBlockEnhanced {
				iface = int(s.order.u32(body[0:4]))
			} else {
				iface = int(s.order.u16(body[0:2]))
			}
			if iface < 0 || iface >= len(s.ifaces) {
				return nil, stamp{}, 0, 0, fmt.Errorf("interface id %d not present in section (have only %d interfaces)", iface, len(s.ifaces))
			}
			caplen := s.order.u32(body[12:16])
			if uint64(caplen) > uint64(len(body)-20) {
				return nil, stamp{}, 0, 0, fmt.Errorf("captured length %d exceeds its packet block", caplen)
			}
			raw := uint64(s.order.u32(body[4:8]))<<32 | uint64(s.order.u32(body[8:12]))
			return body[20 : 20+caplen], s.time(iface, raw), s.ifaces[iface].link, iface, nil
		case ngBlockSimple:
			if len(body) < 4 {
				return nil, stamp{}, 0, 0, fmt.Errorf("simple packet block of %d bytes is too short", len(body)+12)
			}
			if len(s.ifaces) == 0 {
				return nil, stamp{}, 0, 0, errors.New("simple packet block before any interface")
			}
			caplen := uint64(s.order.u32(body[0:4]))
			if sl := s.ifaces[0].snaplen; sl != 0 && caplen > uint64(sl) {
				caplen = uint64(sl)
			}
			if caplen > uint64(len(body)-4) {
				return nil, stamp{}, 0, 0, fmt.Errorf("captured length %d exceeds its simple packet block", caplen)
			}
			return body[4 : 4+caplen], noStamp, s.ifaces[0].link, 0, nil
		case ngBlockInterface:
			if err := s.iface(body); err != nil {
				return nil, stamp{}, 0, 0, err
			}
		case ngBlockStatistics:
			if len(body) < 12 {
				return nil, stamp{}, 0, 0, fmt.Errorf("interface statistics block of %d bytes is too short", len(body)+12)
			}
			if id := s.order.u32(body[0:4]); uint64(id) >= uint64(len(s.ifaces)) {
				return nil, stamp{}, 0, 0, fmt.Errorf("interface id %d not present in section (have only %d interfaces)", id, len(s.ifaces))
			}
		case ngBlockSection:
			if err := s.section(body); err != nil {
				return nil, stamp{}, 0, 0, err
			}
		}
	}
}
