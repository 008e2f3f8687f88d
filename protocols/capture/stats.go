package capture

// Stats are running counters of a Reader. All counts are since NewReader.
type Stats struct {
	Packets uint64 // records read from the file
	Bytes   uint64 // captured bytes of those records

	Messages     uint64 // messages returned by Next, all transports
	UDPMessages  uint64
	TCPMessages  uint64
	SCTPMessages uint64

	Problems        uint64            // problems returned by Next
	ProblemsByLayer map[string]uint64 // keyed by Problem.Layer

	UnsupportedLink uint64 // frames of an unsupported link type
	NonIP           uint64 // frames whose network layer is not IPv4/IPv6 (ARP, LLDP, ...)
	OtherProtocol   uint64 // IP packets of a transport other than UDP/TCP/SCTP

	IPFragments   uint64 // IPv4/IPv6 fragments received
	IPReassembled uint64 // datagrams rebuilt from fragments
	IPFragDropped uint64 // fragments dropped (bad, duplicate-conflicting, for a poisoned set)
	IPFragIgnored uint64 // fragments of datagrams Options.WantDatagram does not want, not buffered
	IPIgnored     uint64 // such datagrams complete, not reassembled

	SCTPPackets         uint64
	SCTPChunks          uint64
	SCTPDataChunks      uint64 // DATA and I-DATA chunks
	SCTPRetransmissions uint64 // DATA/I-DATA chunks ignored because their TSN was already seen
	SCTPReassembled     uint64 // user messages rebuilt from more than one fragment

	TCPSegments        uint64 // segments of tracked flows
	TCPIgnored         uint64 // segments of flows no framer was chosen for
	TCPFlows           uint64 // flows created
	TCPRetransmissions uint64 // segments whose payload was entirely seen already
	TCPOverlapBytes    uint64 // payload bytes trimmed because they were seen already
	TCPOutOfOrder      uint64 // segments buffered ahead of a hole
	TCPGaps            uint64 // holes skipped (data never captured)

	Evictions uint64 // state evicted because a MaxFlows or MaxBuffered bound was hit
}

type counters struct {
	Stats
	problems [numLayers]uint64
}

// Stats returns a snapshot of the counters.
func (r *Reader) Stats() Stats {
	s := r.stats.Stats
	s.ProblemsByLayer = make(map[string]uint64)
	for l, n := range r.stats.problems {
		if n > 0 {
			s.ProblemsByLayer[layer(l).String()] = n
		}
	}
	return s
}
