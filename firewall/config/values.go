package config

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"breakwater/firewall/transport"
	"breakwater/protocols/view"

	"go.yaml.in/yaml/v3"
)

// Pos is where a value was written, for errors found after decoding.
type Pos struct{ Line, Col int }

func posOf(n *yaml.Node) Pos { return Pos{n.Line, n.Column} }

func scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", fmt.Errorf("expected %s", what)
	}
	return n.Value, nil
}

// PLMN is an MCC+MNC written as 5 or 6 digits ("310260", "23415").
type PLMN struct {
	view.PLMN
	Pos
}

func (p *PLMN) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "a PLMN (MCC+MNC digits), e.g. \"310260\"")
	if err != nil {
		return err
	}
	v, err := view.ParsePLMN(s)
	if err != nil {
		return fmt.Errorf("%q: %v; quote it so YAML keeps leading zeros", s, err)
	}
	p.PLMN, p.Pos = v, posOf(n)
	return nil
}

// Realm is a Diameter realm (a DNS name), kept in lower case.
type Realm struct {
	Name string
	Pos
}

func (r *Realm) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "a Diameter realm such as \"epc.mnc260.mcc310.3gppnetwork.org\"")
	if err != nil {
		return err
	}
	if !validRealm(s) {
		return fmt.Errorf("%q is not a realm: use DNS labels of letters, digits and '-' separated by dots, at most 255 characters", s)
	}
	r.Name, r.Pos = strings.ToLower(s), posOf(n)
	return nil
}

func validRealm(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// GTPrefix is a leading part of an E.164 global title, digits only.
type GTPrefix struct {
	Digits string
	Pos
}

func (g *GTPrefix) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "E.164 digits such as \"1206\"")
	if err != nil {
		return err
	}
	if len(s) == 0 || len(s) > 15 || strings.Trim(s, "0123456789") != "" {
		return fmt.Errorf("%q is not a global-title prefix: 1 to 15 decimal digits, no '+' (quote it in YAML)", s)
	}
	g.Digits, g.Pos = s, posOf(n)
	return nil
}

// Prefix is an IP prefix ("192.0.2.0/24") or a single address.
type Prefix struct {
	netip.Prefix
	Pos
}

func (p *Prefix) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "an IP prefix such as \"192.0.2.0/24\" or an address")
	if err != nil {
		return err
	}
	var pfx netip.Prefix
	if strings.Contains(s, "/") {
		pfx, err = netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("%q is not an IP prefix: %v", s, err)
		}
		if pfx.Masked() != pfx {
			return fmt.Errorf("%q has host bits set; did you mean %q?", s, pfx.Masked().String())
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return fmt.Errorf("%q is not an IP address or prefix", s)
		}
		pfx = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
	}
	if pfx.Addr().Is4In6() && pfx.Bits() >= 96 {
		// Senders are looked up unmapped, so an IPv4-mapped prefix stands
		// for the IPv4 prefix it maps (keeping its length would make an
		// invalid prefix that overlaps nothing and matches too much).
		pfx = netip.PrefixFrom(pfx.Addr().Unmap(), pfx.Bits()-96)
	}
	p.Prefix, p.Pos = pfx, posOf(n)
	return nil
}

// Endpoint is a transport URL: "sctp://10.0.0.1/10.0.0.2:3868" or
// "tcp://127.0.0.1:3868".
type Endpoint struct {
	transport.Address
	Pos
	Set bool
}

func (e *Endpoint) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "a transport URL such as \"sctp://10.0.0.1:3868\" or \"tcp://127.0.0.1:3868\"")
	if err != nil {
		return err
	}
	a, err := transport.ParseAddress(s)
	if err != nil {
		return err
	}
	e.Address, e.Pos, e.Set = a, posOf(n), true
	return nil
}

// Name is a partner name: what appears in logs, metrics and rules.
type Name struct {
	Value string
	Pos
}

func (nm *Name) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "a name")
	if err != nil {
		return err
	}
	if len(s) == 0 || len(s) > 64 {
		return fmt.Errorf("partner name must be 1 to 64 characters")
	}
	if s == "home" {
		// Rules, logs and lookups use "home" for the home network.
		return fmt.Errorf("partner name \"home\" is reserved for the home network; choose another")
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("partner name %q may only use letters, digits, '-', '_' and '.'", s)
		}
	}
	nm.Value, nm.Pos = s, posOf(n)
	return nil
}

func (nm Name) String() string { return nm.Value }

// How an M3UA relay answers a request a rule rejects.
const (
	RejectTCAPAbort   = "tcap-abort"   // TC-ABORT toward the partner
	RejectReturnError = "return-error" // TC-END with a MAP ReturnError
	RejectUDTS        = "udts"         // SCCP UDTS/XUDTS: the message returned as undeliverable
	RejectDrop        = "drop"         // nothing
)

// RejectMode is an M3UA relay's reject_with value.
type RejectMode struct {
	Value string
	Pos
}

func (r *RejectMode) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "tcap-abort, return-error, udts or drop")
	if err != nil {
		return err
	}
	switch s {
	case RejectTCAPAbort, RejectReturnError, RejectUDTS, RejectDrop:
	default:
		return fmt.Errorf("%q: use tcap-abort, return-error, udts or drop", s)
	}
	r.Value, r.Pos = s, posOf(n)
	return nil
}

// XDP modes.
const (
	XDPNative  = "native"
	XDPGeneric = "generic"
	XDPOff     = "off"
)

// XDPMode is xdp.mode.
type XDPMode struct {
	Value string
	Pos
}

func (m *XDPMode) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "native, generic or off")
	if err != nil {
		return err
	}
	switch s {
	case XDPNative, XDPGeneric, XDPOff:
	default:
		return fmt.Errorf("%q: use native, generic or off", s)
	}
	m.Value, m.Pos = s, posOf(n)
	return nil
}

// Enabled reports whether the pre-filter is to be attached.
func (x *XDP) Enabled() bool { return x.Mode.Value != XDPOff && len(x.Interfaces) > 0 }

// State backends (state.backend).
const (
	StateMemory = "memory"
	StateRedis  = "redis"
)

// StateBackend is state.backend.
type StateBackend struct {
	Value string
	Pos
}

func (b *StateBackend) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "memory or redis")
	if err != nil {
		return err
	}
	switch s {
	case StateMemory, StateRedis:
	default:
		return fmt.Errorf("%q: use memory (this node alone) or redis (state shared between nodes)", s)
	}
	b.Value, b.Pos = s, posOf(n)
	return nil
}

// IfName is a network interface name (xdp.interfaces).
type IfName struct {
	Value string
	Pos
}

func (nm *IfName) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "an interface name")
	if err != nil {
		return err
	}
	// Linux interface names: 1 to 15 bytes (IFNAMSIZ 16 with the NUL),
	// no '/', no white space, not "." or "..".
	if len(s) == 0 || len(s) > 15 || s == "." || s == ".." || strings.ContainsAny(s, "/ \t\n:") {
		return fmt.Errorf("%q is not an interface name (1 to 15 characters, no '/', ':' or spaces; see `ip link`)", s)
	}
	nm.Value, nm.Pos = s, posOf(n)
	return nil
}

// AdminOff as admin.listen disables the admin endpoint.
const AdminOff = "off"

// DefaultAdminListen is where the admin endpoint listens unless told
// otherwise: loopback only.
const DefaultAdminListen = "127.0.0.1:9090"

// HostPort is a TCP listen address, host:port (admin.listen).
type HostPort struct {
	Value string
	Pos
}

func (h *HostPort) UnmarshalStrictYAML(n *yaml.Node) error {
	s, err := scalar(n, "host:port")
	if err != nil {
		return err
	}
	if s == AdminOff {
		h.Value, h.Pos = s, posOf(n)
		return nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return fmt.Errorf("%q: %v (write host:port, e.g. 127.0.0.1:9090)", s, err)
	}
	h.Value, h.Pos = s, posOf(n)
	return nil
}

// Loopback reports whether the host is a loopback address (or
// "localhost").
func (h HostPort) Loopback() bool {
	host, _, _ := net.SplitHostPort(h.Value)
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
