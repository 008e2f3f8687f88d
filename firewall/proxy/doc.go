// Package proxy runs Breakwater inline: it accepts signaling connections,
// opens a paired connection to the other side, and relays each message the
// engine allows. It holds no policy: every message is judged by the engine,
// and the proxy only carries out the verdict.
//
// # Diameter: a transparent relay that stands in when a side cannot answer
//
// Every connection a peer (usually an interconnect partner) opens to a
// DiameterRelay is paired with its own connection to the upstream (usually
// the home DEA). Messages are relayed byte for byte in both directions:
// the partner's CER reaches the home DEA and the home DEA's CEA reaches the
// partner, DWR/DWA run end to end, hop-by-hop and end-to-end identifiers
// are never rewritten. Breakwater is therefore invisible at the Diameter
// layer, which is why it was chosen over terminating the peer relation as a
// relay agent:
//
//   - no peer, realm or routing configuration changes on either side: the
//     home DEA keeps seeing its roaming partners as peers, and the
//     partners keep seeing the home DEA;
//   - capabilities stay exactly what the two real peers negotiate, so
//     Breakwater cannot advertise an application the home side does not
//     serve;
//   - because each partner connection has its own upstream connection,
//     hop-by-hop identifiers stay unique per connection without a mapping
//     table, and answers route back by construction.
//
// Where one side cannot answer, Breakwater answers in that side's name,
// using the identity it saw in the capabilities exchange (or the relay's
// configured origin_host/origin_realm before any exchange), so that each
// side always sees a standards-conforming peer:
//
//   - a request the engine rejects gets an answer with the rule's
//     Result-Code (default 5012 DIAMETER_UNABLE_TO_COMPLY); a dropped one
//     gets nothing; neither reaches the other side;
//   - while the upstream is down, partner requests get 3002
//     DIAMETER_UNABLE_TO_DELIVER (E bit), DWRs get DWAs so the partner
//     keeps the connection, and Breakwater reconnects with exponential
//     backoff; on reconnecting it replays the partner's CER so that the
//     home DEA sees the same peer as before;
//   - on shutdown it stops taking new requests (3002), waits a bounded
//     time for in-flight answers, and sends each side a DPR (REBOOTING) in
//     the other side's name before closing.
//
// Each pair runs three goroutines a reader can follow: one reads the peer
// and writes to the upstream, one reads the upstream and writes to the
// peer, and one supervises the upstream connection. Each reader owns its
// buffer, message view, Judge and answer builder, so relaying a message
// allocates nothing and takes no lock shared with other connections; the
// kernel socket buffers are the bounded queues, and a side that stops
// reading for write_timeout is disconnected.
package proxy
