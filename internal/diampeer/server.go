package diampeer

import (
	"errors"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

func parseIP(s string) (netip.Addr, error) { return netip.ParseAddr(s) }

// Server plays a home node (HSS, DEA): it answers CER with CEA, DWR with
// DWA, DPR with DPA and every other request with Result (default 2001),
// after Delay. It records every message it receives.
type Server struct {
	ID     Identity
	Result atomic.Uint32
	Delay  atomic.Int64 // nanoseconds before answering application requests
	// Record keeps a copy of every message (on by default); switch it off
	// to measure allocations elsewhere or to serve load.
	Record atomic.Bool

	ln     transport.Listener
	mu     sync.Mutex
	got    []Received
	conns  map[transport.Conn]struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
	count  atomic.Int64
}

// Received is one message a server got.
type Received struct {
	Raw    []byte
	Stream uint16
	PPID   uint32
	From   netip.AddrPort
}

// Listen starts a server on addr ("tcp://127.0.0.1:0").
func Listen(addr string, id Identity) (*Server, error) {
	a, err := transport.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	ln, err := transport.Listen(a, Options())
	if err != nil {
		return nil, err
	}
	s := &Server{ID: id, ln: ln, conns: map[transport.Conn]struct{}{}}
	s.Result.Store(diameter.ResultSuccess)
	s.Record.Store(true)
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the server's bound address.
func (s *Server) Addr() transport.Address { return s.ln.Addr() }

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Server) serve(c transport.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	buf := make([]byte, 0, 1<<16)
	var b diameter.Builder
	var v view.Message
	for {
		m, err := c.ReadMessage(buf)
		if err != nil {
			return
		}
		s.count.Add(1)
		if s.Record.Load() {
			s.mu.Lock()
			s.got = append(s.got, Received{Raw: append([]byte(nil), m.Data...), Stream: m.Stream, PPID: m.PPID, From: c.RemoteAddr()})
			s.mu.Unlock()
		}
		if diameter.Decode(m.Data, &v) != nil || !v.Request {
			continue
		}
		result := s.Result.Load()
		switch v.Code {
		case diameter.CmdCapabilitiesExchange, diameter.CmdDeviceWatchdog, diameter.CmdDisconnectPeer:
			result = diameter.ResultSuccess
		default:
			if d := s.Delay.Load(); d > 0 {
				time.Sleep(time.Duration(d))
			}
		}
		var ans []byte
		if v.Code == diameter.CmdCapabilitiesExchange {
			ans = CEA(&b, m.Data, s.ID)
		} else {
			var ok bool
			if ans, ok = b.Answer(m.Data, result, s.ID.Host, s.ID.Realm); !ok {
				continue
			}
		}
		if err := c.WriteMessage(transport.Message{Data: ans, Stream: m.Stream, PPID: 46}); err != nil {
			return
		}
		if v.Code == diameter.CmdDisconnectPeer {
			return
		}
	}
}

// Received returns copies of what the server got so far.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.got...)
}

// Count is how many messages the server received.
func (s *Server) Count() int64 { return s.count.Load() }

// Ops lists the short names of the received messages, in order.
func (s *Server) Ops() []string {
	var ops []string
	var v view.Message
	for _, r := range s.Received() {
		diameter.Decode(r.Raw, &v)
		ops = append(ops, v.Op)
	}
	return ops
}

// Close stops the server and closes its connections.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return errors.New("diampeer: already closed")
	}
	err := s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// CEA builds a complete capabilities exchange answer to cer (RFC 6733
// §5.3.2: Host-IP-Address, Vendor-Id and Product-Name are mandatory) that
// advertises S6a/S6d, so that real Diameter stacks accept the peer.
func CEA(b *diameter.Builder, cer []byte, id Identity) []byte {
	h, _ := diameter.ParseHeader(cer)
	return b.Start(0, diameter.CmdCapabilitiesExchange, diameter.AppBase, h.HopByHop, h.EndToEnd).
		Uint32(diameter.AVPResultCode, 0, diameter.AVPFlagMandatory, diameter.ResultSuccess).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, id.Host).
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, id.Realm).
		Bytes(257, 0, diameter.AVPFlagMandatory, []byte{0, 1, 127, 0, 0, 1}). // Host-IP-Address
		Uint32(diameter.AVPVendorID, 0, diameter.AVPFlagMandatory, diameter.Vendor3GPP).
		String(269, 0, 0, "breakwater-diampeer"). // Product-Name
		Group(diameter.AVPVendorSpecificApplicationID, 0, diameter.AVPFlagMandatory).
		Uint32(diameter.AVPVendorID, 0, diameter.AVPFlagMandatory, diameter.Vendor3GPP).
		Uint32(diameter.AVPAuthApplicationID, 0, diameter.AVPFlagMandatory, diameter.AppS6aS6d).
		End().
		Message()
}
