// Package capture turns a pcap or pcapng file into the application-layer
// messages it carries: UDP datagram payloads, SCTP user messages (DATA and
// I-DATA, reassembled and de-duplicated) and messages cut out of reassembled
// TCP byte streams by a caller-supplied Framer.
//
// The package knows nothing above the transport layer. It is meant for replay
// and lab tools that must survive hostile or odd captures, so every length and
// count read from the file is checked before it is used, every piece of state
// (IP fragment sets, SCTP reassembly contexts, TCP flows) is bounded and
// evicted oldest-first, and damage is reported as a non-fatal *Problem instead
// of aborting the read.
//
// The steady-state path does not allocate per packet or per message: records
// are parsed in place (from the caller's memory with NewReaderBytes, or from
// a read buffer), headers are decoded in place and a Message's Data aliases
// either the packet buffer or a pooled reassembly buffer. Data is therefore
// only valid until the next call to Reader.Next, except that Data lying in
// the memory given to NewReaderBytes (Reader.InInput) stays valid with it.
//
// Supported input:
//   - files: pcap (microsecond and nanosecond magic, either byte order, any
//     2.x version, Kuznetzov's patched records), pcapng (per-interface link
//     types), optionally gzip-compressed;
//   - link types: Ethernet (802.1Q, 802.1ad/QinQ and the 0x9100-0x9300 tags,
//     stacked; 802.3 SNAP; MPLS; PPPoE), Linux SLL and SLL2, NULL and LOOP
//     (address family in either byte order), raw IP (101, 12, 14), IPv4
//     (228), IPv6 (229);
//   - IPv4 with options and IPv6 with extension headers, both with fragment
//     reassembly;
//   - UDP, SCTP, TCP.
//
// Checksums (IPv4, TCP, UDP, SCTP CRC32c) are deliberately not verified:
// captures taken on the sending host routinely carry garbage checksums
// because of checksum offload. Tunnels (GRE, IP-in-IP, GTP-U) are not
// decapsulated: their outer UDP datagrams are reported as such.
//
// A Reader is not safe for concurrent use.
package capture
