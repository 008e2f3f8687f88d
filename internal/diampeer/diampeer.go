// Package diampeer provides small Diameter peers built on Breakwater's own
// transport and encoder: a client that plays a roaming partner's MME or
// HSS, and a server that plays the home HSS. Tests, the demo and the load
// generator use them; the firewall itself does not.
package diampeer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/transport"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

// Framer is the Diameter framer for TCP transports.
var Framer = transport.Framer{HeaderLen: 4, Length: func(h []byte) (int, error) { return diameter.FrameLength(h, 0) }}

// Options returns transport options suited to test peers.
func Options(local ...string) transport.Options {
	o := transport.Options{Framer: Framer, MaxMessage: 1 << 16, ConnectTimeout: 3 * time.Second}
	for _, l := range local {
		a, err := parseIP(l)
		if err == nil {
			o.Local = append(o.Local, a)
		}
	}
	return o
}

// Identity names a Diameter node.
type Identity struct{ Host, Realm string }

// Client is a Diameter peer that sends requests and matches answers by
// hop-by-hop identifier. It also answers the other side's requests (DWR,
// DPR, and anything else with 2001) so that a relay in front of it sees a
// live peer.
type Client struct {
	ID   Identity
	conn transport.Conn
	hbh  atomic.Uint32

	mu      sync.Mutex
	pending map[uint32]chan []byte
	// Requests lists the requests the other side sent (copies).
	reqMu    sync.Mutex
	requests [][]byte
	closed   chan struct{}
	err      error
}

// Dial connects a client to addr.
func Dial(ctx context.Context, addr string, id Identity, local ...string) (*Client, error) {
	a, err := transport.ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	c, err := transport.Dial(ctx, a, Options(local...))
	if err != nil {
		return nil, err
	}
	cl := &Client{ID: id, conn: c, pending: map[uint32]chan []byte{}, closed: make(chan struct{})}
	cl.hbh.Store(uint32(time.Now().UnixNano()))
	go cl.readLoop()
	return cl, nil
}

// Conn is the client's transport connection.
func (c *Client) Conn() transport.Conn { return c.conn }

func (c *Client) readLoop() {
	defer close(c.closed)
	buf := make([]byte, 0, 1<<16)
	var b diameter.Builder
	for {
		m, err := c.conn.ReadMessage(buf)
		if err != nil {
			c.err = err
			c.mu.Lock()
			for _, ch := range c.pending {
				close(ch)
			}
			c.pending = map[uint32]chan []byte{}
			c.mu.Unlock()
			return
		}
		h, err := diameter.ParseHeader(m.Data)
		if err != nil {
			continue
		}
		if h.IsRequest() {
			c.reqMu.Lock()
			c.requests = append(c.requests, append([]byte(nil), m.Data...))
			c.reqMu.Unlock()
			if ans, ok := b.Answer(m.Data, diameter.ResultSuccess, c.ID.Host, c.ID.Realm); ok {
				c.conn.WriteMessage(transport.Message{Data: ans, Stream: m.Stream, PPID: 46})
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[h.HopByHop]
		delete(c.pending, h.HopByHop)
		c.mu.Unlock()
		if ch != nil {
			ch <- append([]byte(nil), m.Data...)
		}
	}
}

// Requests returns copies of the requests the other side sent so far.
func (c *Client) Requests() [][]byte {
	c.reqMu.Lock()
	defer c.reqMu.Unlock()
	return append([][]byte(nil), c.requests...)
}

// NextHopByHop reserves a hop-by-hop identifier.
func (c *Client) NextHopByHop() uint32 { return c.hbh.Add(1) }

// ErrNoAnswer is returned when no answer came in time.
var ErrNoAnswer = errors.New("diampeer: no answer")

// Do sends a request (its hop-by-hop identifier must come from
// NextHopByHop or be unique) and waits for the answer.
func (c *Client) Do(req []byte, stream uint16, timeout time.Duration) ([]byte, error) {
	h, err := diameter.ParseHeader(req)
	if err != nil {
		return nil, err
	}
	ch := make(chan []byte, 1)
	c.mu.Lock()
	c.pending[h.HopByHop] = ch
	c.mu.Unlock()
	if err := c.conn.WriteMessage(transport.Message{Data: req, Stream: stream, PPID: 46}); err != nil {
		return nil, err
	}
	select {
	case a, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("diampeer: connection closed: %v", c.err)
		}
		return a, nil
	case <-time.After(timeout):
		c.mu.Lock()
		delete(c.pending, h.HopByHop)
		c.mu.Unlock()
		return nil, ErrNoAnswer
	}
}

// Send writes a message without waiting for anything.
func (c *Client) Send(raw []byte) error {
	return c.conn.WriteMessage(transport.Message{Data: raw, PPID: 46})
}

// Closed is closed when the connection ends.
func (c *Client) Closed() <-chan struct{} { return c.closed }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// CER builds a capabilities exchange request advertising apps.
func (c *Client) CER(b *diameter.Builder, apps ...uint32) []byte {
	hbh := c.NextHopByHop()
	b.Start(diameter.FlagRequest, diameter.CmdCapabilitiesExchange, diameter.AppBase, hbh, hbh).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, c.ID.Host).
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, c.ID.Realm).
		Bytes(257, 0, diameter.AVPFlagMandatory, []byte{0, 1, 127, 0, 0, 1}). // Host-IP-Address
		Uint32(diameter.AVPVendorID, 0, diameter.AVPFlagMandatory, 10415).
		String(269, 0, 0, "breakwater-test") // Product-Name
	for _, a := range apps {
		b.Group(diameter.AVPVendorSpecificApplicationID, 0, diameter.AVPFlagMandatory).
			Uint32(diameter.AVPVendorID, 0, diameter.AVPFlagMandatory, 10415).
			Uint32(diameter.AVPAuthApplicationID, 0, diameter.AVPFlagMandatory, a).
			End()
	}
	return b.Message()
}

// DWR builds a watchdog request.
func (c *Client) DWR(b *diameter.Builder) []byte {
	hbh := c.NextHopByHop()
	return b.Start(diameter.FlagRequest, diameter.CmdDeviceWatchdog, diameter.AppBase, hbh, hbh).
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, c.ID.Host).
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, c.ID.Realm).
		Message()
}

// S6a builds an S6a request (ULR, AIR, PUR, NOR, IDR, CLR, DSR) for imsi;
// visitedPLMN is added when not empty.
func (c *Client) S6a(b *diameter.Builder, code uint32, imsi, destRealm, visitedPLMN string) []byte {
	hbh := c.NextHopByHop()
	b.Start(diameter.FlagRequest|diameter.FlagProxiable, code, diameter.AppS6aS6d, hbh, hbh).
		String(diameter.AVPSessionID, 0, diameter.AVPFlagMandatory, fmt.Sprintf("%s;%d;%d", c.ID.Host, code, hbh)).
		Uint32(277, 0, diameter.AVPFlagMandatory, 1). // Auth-Session-State NO_STATE_MAINTAINED
		String(diameter.AVPOriginHost, 0, diameter.AVPFlagMandatory, c.ID.Host).
		String(diameter.AVPOriginRealm, 0, diameter.AVPFlagMandatory, c.ID.Realm).
		String(diameter.AVPDestinationRealm, 0, diameter.AVPFlagMandatory, destRealm).
		String(diameter.AVPUserName, 0, diameter.AVPFlagMandatory, imsi)
	if visitedPLMN != "" {
		p, err := view.ParsePLMN(visitedPLMN)
		if err == nil {
			enc := p.Encode()
			b.Bytes(diameter.AVPVisitedPLMNID, diameter.Vendor3GPP, diameter.AVPFlagMandatory, enc[:])
		}
	}
	if code == diameter.CmdInsertSubscriberData {
		// IDR-Flags: EPS Location Information Request | Current Location
		// Request, the way a tracking probe asks where the subscriber is.
		b.Uint32(diameter.AVPIDRFlags, diameter.Vendor3GPP, diameter.AVPFlagMandatory, 1<<3|1<<4)
	}
	if code == diameter.CmdUpdateLocation {
		b.Uint32(1032, diameter.Vendor3GPP, diameter.AVPFlagMandatory, 1004) // RAT-Type EUTRAN
		b.Uint32(diameter.AVPULRFlags, diameter.Vendor3GPP, diameter.AVPFlagMandatory, 2)
	}
	return b.Message()
}

// ResultCode returns an answer's Result-Code or Experimental-Result-Code.
func ResultCode(ans []byte) uint32 {
	var v view.Message
	diameter.Decode(ans, &v)
	return v.ResultCode
}
