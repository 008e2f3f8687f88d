package transport

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Kind is the transport protocol.
type Kind uint8

const (
	TCP Kind = iota + 1
	SCTP
	UDP
)

func (k Kind) String() string {
	switch k {
	case TCP:
		return "tcp"
	case SCTP:
		return "sctp"
	case UDP:
		return "udp"
	}
	return "unknown"
}

// Address is a parsed transport URL.
type Address struct {
	Kind Kind
	// IPs lists the addresses of the endpoint: one for TCP, one or more
	// for a multi-homed SCTP endpoint (the first is the primary).
	IPs  []netip.Addr
	Port uint16
}

// ParseAddress parses "tcp://IP:PORT" or "sctp://IP[/IP...]:PORT". IPv6
// addresses are written in brackets.
func ParseAddress(s string) (Address, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return Address{}, fmt.Errorf("%q: write the transport first, e.g. sctp://10.0.0.1:3868 or tcp://127.0.0.1:3868", s)
	}
	var a Address
	switch scheme {
	case "tcp":
		a.Kind = TCP
	case "sctp":
		a.Kind = SCTP
	case "udp":
		a.Kind = UDP
	default:
		return Address{}, fmt.Errorf("%q: unknown transport %q; use sctp://, tcp:// or udp://", s, scheme)
	}
	i := strings.LastIndexByte(rest, ':')
	if i < 0 || i == len(rest)-1 {
		return Address{}, fmt.Errorf("%q: missing :PORT", s)
	}
	port, err := strconv.ParseUint(rest[i+1:], 10, 16)
	if err != nil || port == 0 && rest[i+1:] != "0" {
		return Address{}, fmt.Errorf("%q: port %q is not a number from 0 to 65535", s, rest[i+1:])
	}
	a.Port = uint16(port)
	for _, h := range strings.Split(rest[:i], "/") {
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		ip, err := netip.ParseAddr(h)
		if err != nil {
			return Address{}, fmt.Errorf("%q: %q is not an IP address (host names are not resolved: signaling addresses are configured explicitly)", s, h)
		}
		a.IPs = append(a.IPs, ip.Unmap())
	}
	if a.Kind != SCTP && len(a.IPs) != 1 {
		return Address{}, fmt.Errorf("%q: %s takes one address; multi-homing ('/') is for SCTP", s, a.Kind)
	}
	if len(a.IPs) > 8 {
		return Address{}, fmt.Errorf("%q: at most 8 addresses per endpoint", s)
	}
	v4 := a.IPs[0].Is4()
	for _, ip := range a.IPs[1:] {
		if ip.Is4() != v4 && !v4 {
			// An IPv6 socket can carry IPv4 addresses, an IPv4 one cannot carry IPv6.
			continue
		}
		if ip.Is4() != v4 {
			return Address{}, fmt.Errorf("%q: list the IPv6 address first when mixing IPv4 and IPv6", s)
		}
	}
	return a, nil
}

// AddrPort returns the primary address with the port.
func (a Address) AddrPort() netip.AddrPort { return netip.AddrPortFrom(a.IPs[0], a.Port) }

// String returns the URL form.
func (a Address) String() string {
	var b strings.Builder
	b.WriteString(a.Kind.String())
	b.WriteString("://")
	for i, ip := range a.IPs {
		if i > 0 {
			b.WriteByte('/')
		}
		if ip.Is6() {
			b.WriteString("[" + ip.String() + "]")
		} else {
			b.WriteString(ip.String())
		}
	}
	b.WriteString(":" + strconv.Itoa(int(a.Port)))
	return b.String()
}
