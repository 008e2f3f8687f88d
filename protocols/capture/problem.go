package capture

import (
	"fmt"
	"time"
)

// Problem is a non-fatal report about the capture: a malformed or truncated
// packet, an impossible header, a reassembly gap, overflow or timeout. Next
// returns it as the error; the caller logs or counts it and calls Next again.
type Problem struct {
	Frame  int       // 1-based frame the problem was found in (0 if before the first frame)
	Time   time.Time // capture time of that frame
	Layer  string    // "pcap", "link", "ethernet", "sll", "sll2", "null", "ipv4", "ipv6", "udp", "tcp", "sctp"
	Reason string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("frame %d: %s: %s", p.Frame, p.Layer, p.Reason)
}

// layer indexes the per-layer problem counters; layerNames gives the public
// Problem.Layer strings.
type layer uint8

const (
	layerPcap layer = iota
	layerLink
	layerEthernet
	layerSLL
	layerSLL2
	layerNull
	layerIPv4
	layerIPv6
	layerUDP
	layerTCP
	layerSCTP
	numLayers
)

var layerNames = [numLayers]string{
	layerPcap:     "pcap",
	layerLink:     "link",
	layerEthernet: "ethernet",
	layerSLL:      "sll",
	layerSLL2:     "sll2",
	layerNull:     "null",
	layerIPv4:     "ipv4",
	layerIPv6:     "ipv6",
	layerUDP:      "udp",
	layerTCP:      "tcp",
	layerSCTP:     "sctp",
}

func (l layer) String() string {
	if l < numLayers {
		return layerNames[l]
	}
	return "unknown"
}

// problemQueue holds problems waiting to be returned by Next, oldest first.
type problemQueue struct {
	q    []*Problem
	head int
}

func (pq *problemQueue) push(p *Problem) { pq.q = append(pq.q, p) }

func (pq *problemQueue) pop() *Problem {
	if pq.head == len(pq.q) {
		return nil
	}
	p := pq.q[pq.head]
	pq.q[pq.head] = nil
	pq.head++
	if pq.head == len(pq.q) {
		pq.q, pq.head = pq.q[:0], 0
	}
	return p
}
