//go:build ignore

// (The constraint above keeps the go tool from treating this file as cgo
// source; bpf2go compiles it with clang.)

// Breakwater XDP pre-filter.
//
// Runs before the kernel's network stack on the interfaces that face the
// interconnect and sheds, per packet and without user space:
//
//   - everything from a quarantined partner (any port),
//   - signaling traffic (configured destination ports) from a source address
//     that no allowlist prefix covers,
//   - signaling traffic above the source's packet rate,
//   - GTP-C datagrams whose header is broken or whose message type the
//     operator's GSMA category 1 tables forbid from this sender.
//
// Everything else is passed: non-IP, traffic to other ports, and IP
// fragments (XDP cannot reassemble; the stack does, and user space runs the
// same checks on the reassembled message). User space stays authoritative:
// passing here only means user space judges the packet.
//
// Policy tables (allowlists, ports, GTP type tables) are inner maps held in
// slots of ARRAY_OF_MAPS outers. The loader builds a complete new inner map
// and replaces the slot with one map update, so a packet sees either the old
// table or the new one, never a half-written one (see bpf/README.md).
//
// Every packet read is bounds-checked against data_end; loops are unrolled
// with constant bounds, so the verifier sees straight-line code.

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

// The license string only decides which kernel helpers may be called; no
// GPL-only helper is used. See bpf/README.md.
char LICENSE[] SEC("license") = "Dual MIT/GPL";

// ---------------------------------------------------------------------------
// Shared with Go (bpf2go -type generates the Go mirrors; keep layouts free of
// implicit padding so both sides agree byte for byte).

// Why a packet got its verdict: the index into the counters map and the
// reason carried by a drop event. Append only: user space names them.
enum reason {
	REASON_PASSED = 0,         // signaling from an allowed source, handed to the stack
	REASON_NOT_SIGNALING = 1,  // non-IP, or IP not to a signaling port: passed
	REASON_FRAGMENT_PASSED = 2,// IPv4 fragment or IPv6 Fragment header: passed
	REASON_UNKNOWN_SOURCE = 3, // signaling from a source in no allowlist prefix: dropped
	REASON_QUARANTINED = 4,    // any packet from a quarantined partner: dropped
	REASON_RATE_LIMITED = 5,   // over the source's packet rate: dropped
	REASON_GTP_MALFORMED = 6,  // GTP-C header unusable: dropped
	REASON_GTP_CAT1 = 7,       // GTP-C message type forbidden for this sender: dropped
	REASON_MALFORMED = 8,      // truncated or invalid L3/L4 header: dropped
	REASON_EVENTS_LOST = 9,    // not a verdict: sampled drop events the full ring refused
	REASON_MAX = 10,
};

// Protocol class of a signaling port (ports map value).
enum proto_class {
	CLASS_NONE = 0,
	CLASS_DIAMETER = 1,
	CLASS_M3UA = 2,
	CLASS_GTPC = 3,
};

// GTP-C message type table entries.
enum type_verdict {
	TYPE_PASS = 0,
	TYPE_DROP = 1,                   // GSMA category 1: never from a partner
	TYPE_DROP_UNLESS_MOBILITY = 2,   // relocation: only with an inter-PLMN mobility agreement
};

// Allowlist entry flags.
#define SOURCE_HOME (1u << 0)         // home network node: skips the GTP type tables
#define SOURCE_MOBILITY (1u << 1)     // partner with an inter-PLMN mobility agreement

// Allowlist value: who owns a prefix and how fast it may send.
struct source {
	__u32 partner_id; // nonzero; 0 is reserved for "no partner"
	__u32 flags;      // SOURCE_*
	__u32 rate_pps;   // 0 = unlimited
	__u32 burst;      // packets allowed back to back (>= 1 when rate_pps > 0)
};

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

// Ports map value, indexed by destination port: the class per L4 protocol.
enum l4_slot {
	SLOT_SCTP = 0,
	SLOT_TCP = 1,
	SLOT_UDP = 2,
	SLOT_MAX = 4,
};

struct port_classes {
	__u8 by_l4[SLOT_MAX]; // enum proto_class per enum l4_slot
};

// Runtime settings (single element).
struct settings {
	__u32 sample_every; // emit one drop event per N drops per CPU; 0 = none
	// Number of entries in the quarantine map. While it is 0, packets to
	// other than signaling ports skip the allowlist lookup (which only the
	// quarantine check needs for them) and signaling packets skip the
	// quarantine lookup. User space raises it after adding an entry and
	// lowers it before removing one, so a packet that reads a stale value
	// is judged as just before or just after the change.
	__u32 quarantined;
};

// Per-source rate state: the GCRA theoretical arrival time (see rate_allow).
struct rate_key {
	__u8 addr[16]; // IPv6, or IPv4 as ::ffff:a.b.c.d
};

struct rate_state {
	__u64 tat_ns;
};

// A sampled drop, as it travels through the ring buffer.
struct event {
	__u64 time_ns;     // bpf_ktime_get_ns (CLOCK_MONOTONIC)
	__u8 saddr[16];    // IPv6, or IPv4 as ::ffff:a.b.c.d
	__u32 partner_id;  // 0 when the source is in no allowlist prefix
	__u16 dport;       // host order; 0 when not read
	__u8 reason;       // enum reason
	__u8 l4_proto;     // IPPROTO_*; 0 when not read
	__u8 gtp_version;  // 0 unless GTP-C was inspected
	__u8 gtp_type;
	__u8 ip_version;   // 4 or 6
	__u8 class;        // enum proto_class of the destination port
	__u32 reserved;
};

// ---------------------------------------------------------------------------
// Maps.

// Policy tables. Each outer map has one slot holding the active inner map;
// the named inner types are also instantiated as empty tables that fill the
// slots at load time, so a slot is never NULL (and clang emits the key and
// value types in full into BTF, which the Go side is generated from).

// IPv4 allowlist: longest prefix match on the source address.
struct sources_v4_table {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC); // required for LPM tries
	__uint(max_entries, 1);               // the loader sizes each new trie
	__type(key, struct lpm_v4_key);
	__type(value, struct source);
} sources_v4_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sources_v4_table);
} sources_v4 SEC(".maps") = {
	.values = {[0] = &sources_v4_empty},
};

// IPv6 allowlist.
struct sources_v6_table {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct lpm_v6_key);
	__type(value, struct source);
} sources_v6_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sources_v6_table);
} sources_v6 SEC(".maps") = {
	.values = {[0] = &sources_v6_empty},
};

// Signaling ports: an array indexed by destination port (not a hash), so the
// lookup is a bounds check and an offset.
struct ports_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct port_classes);
} ports_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct ports_table);
} ports SEC(".maps") = {
	.values = {[0] = &ports_empty},
};

// GTPv1-C and GTPv2-C message type tables (enum type_verdict by type):
// two inner arrays of 256, slot GTP_V1 and slot GTP_V2 of one outer map,
// each replaced on its own. One outer map (rather than one per version)
// gives both slots the same inner-map template, so the verifier turns
// every table lookup into inline array indexing; lookups that could hit
// two different templates from one call site would cost an indirect call.
#define GTP_V1 0
#define GTP_V2 1

struct gtp_types_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u8);
} gtp_v1_types_empty SEC(".maps"), gtp_v2_types_empty SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct gtp_types_table);
} gtp_types SEC(".maps") = {
	.values = {[GTP_V1] = &gtp_v1_types_empty, [GTP_V2] = &gtp_v2_types_empty},
};

// Quarantined partner ids. Each entry stands alone, so user space adds and
// removes them one by one.
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u8);
} quarantine SEC(".maps");

// Token buckets per source address. LRU: sources are bounded by the
// allowlist prefixes, but one IPv6 /48 holds 2^80 addresses, so a spoofing
// partner must only be able to evict its own (and others' idle) buckets,
// never to fill the table.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct rate_key);
	__type(value, struct rate_state);
} rate_limits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, REASON_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct settings);
} config SEC(".maps");

// Drops seen since the last sampled event, per CPU (no shared cache line).
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sample_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

// ---------------------------------------------------------------------------
// Parsing state.

#define MAX_VLAN_TAGS 2 // 802.1Q, or 802.1ad outer + 802.1Q inner (QinQ)

// RFC 8200 §4.1: each extension header at most once, Destination Options at
// most twice, so Hop-by-Hop, Destination Options, Routing, Destination
// Options is the longest conforming chain before Fragment or the upper
// layer. A longer chain is treated as malformed rather than passed
// uninspected: otherwise padding with options would walk around the filter.
#define MAX_IPV6_EXT 4

// Piggybacked GTPv2 messages that start further into the datagram than this
// are not type-checked here (user space still judges them). The bound keeps
// every packet offset provably below the verifier's 64 KiB limit.
#define MAX_PIGGYBACK_OFFSET 0x3fff

#define NSEC_PER_SEC 1000000000ULL

// be16 reads a 16-bit big-endian field as a value the verifier knows is
// below 65536. Older verifiers (Debian 12's 6.1) forget the bounds of a
// byte swap, and then refuse to add the value to a packet pointer; the
// empty asm hides the value from clang so that the mask it would otherwise
// drop as redundant reaches the verifier.
static __always_inline __u32 be16(const void *p)
{
	__u32 v = bpf_ntohs(*(const __be16 *)p);
	asm volatile("" : "+r"(v));
	return v & 0xffff;
}

// GCRA compare-and-swap attempts before a contended packet is dropped.
#define RATE_CAS_TRIES 4

struct vlan_hdr {
	__be16 tci;
	__be16 encapsulated_proto;
};

struct sctp_common_hdr {
	__be16 source;
	__be16 dest;
	__be32 vtag;
	__le32 checksum;
};

struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen; // in 8-octet units, not counting the first 8
};

// Where the upper layer starts, found by the L3 parsers.
struct l3 {
	void *l4;       // first byte after the IP header (and extension headers)
	__u32 l4_len;   // bytes from l4 to the end of the IP payload (not the frame)
	__u8 proto;     // upper-layer protocol
	__u8 fragment;  // IPv4 MF/offset, or an IPv6 Fragment header
};

// ---------------------------------------------------------------------------
// Verdicts.

static __always_inline void count(__u32 reason)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &reason);
	// Per-CPU slot: no other CPU writes it, so a plain add is exact.
	if (c)
		*c += 1;
}

// One drop in every config.sample_every goes to the ring buffer. The counter
// is per CPU so sampling costs no shared write; the ring never blocks: when
// it is full the event is counted as lost and the packet is dropped anyway.
static __always_inline void sample_drop(const struct settings *cfg, struct event *ev)
{
	__u32 zero = 0;
	if (!cfg || cfg->sample_every == 0)
		return;
	__u32 *seen = bpf_map_lookup_elem(&sample_state, &zero);
	if (!seen)
		return;
	*seen += 1;
	if (*seen < cfg->sample_every)
		return;
	*seen = 0;

	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(REASON_EVENTS_LOST);
		return;
	}
	__builtin_memcpy(e, ev, sizeof(*e));
	e->time_ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int pass(__u32 reason)
{
	count(reason);
	return XDP_PASS;
}

static __always_inline int drop(const struct settings *cfg, struct event *ev, __u32 reason)
{
	count(reason);
	ev->reason = reason;
	sample_drop(cfg, ev);
	return XDP_DROP;
}

// ---------------------------------------------------------------------------
// L3.

// parse_ipv4 validates the IPv4 header and finds the upper layer. It
// returns -1 for a header the kernel would discard too (truncated, IHL < 5,
// total length shorter than the header or longer than the frame), so
// dropping it here changes nothing but the cost.
static __always_inline int parse_ipv4(struct event *ev, struct l3 *l3, void *cur, void *end)
{
	struct iphdr *ip = cur;
	if ((void *)(ip + 1) > end)
		return -1;
	if (ip->version != 4 || ip->ihl < 5)
		return -1;
	__u32 hl = ip->ihl * 4; // options (IHL > 5) are skipped, not read
	__u32 tot = be16(&ip->tot_len);
	if (tot < hl || cur + tot > end)
		return -1;

	ev->ip_version = 4;
	ev->saddr[10] = 0xff;
	ev->saddr[11] = 0xff;
	__builtin_memcpy(&ev->saddr[12], &ip->saddr, 4);

	l3->proto = ip->protocol;
	// MF set or a nonzero offset: a piece of a datagram only the stack can
	// put back together.
	l3->fragment = (ip->frag_off & bpf_htons(0x3fff)) != 0;
	l3->l4 = cur + hl;
	// The IP total length, not the frame, bounds the payload: Ethernet pads
	// short frames.
	l3->l4_len = tot - hl;
	return 0;
}

// parse_ipv6 validates the fixed header and walks Hop-by-Hop, Routing and
// Destination Options headers (at most MAX_IPV6_EXT). A Fragment header
// stops the walk: the packet is a fragment. It returns -1 for what the
// kernel would discard too (truncated headers, payload beyond the frame,
// Hop-by-Hop not first) and for chains longer than RFC 8200 allows.
static __always_inline int parse_ipv6(struct event *ev, struct l3 *l3, void *cur, void *end)
{
	struct ipv6hdr *ip6 = cur;
	if ((void *)(ip6 + 1) > end)
		return -1;
	if (ip6->version != 6)
		return -1;
	__u32 rem = be16(&ip6->payload_len); // 0 (jumbogram) leaves no room for L4: dropped as truncated if signaling
	void *h = ip6 + 1;
	if (h + rem > end)
		return -1;

	ev->ip_version = 6;
	__builtin_memcpy(ev->saddr, &ip6->saddr, 16);

	__u8 nh = ip6->nexthdr;
#pragma unroll
	for (int i = 0; i < MAX_IPV6_EXT; i++) {
		if (nh == IPPROTO_FRAGMENT) {
			l3->fragment = 1;
			break;
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
			break;
		if (nh == IPPROTO_HOPOPTS && i != 0)
			return -1;
		struct ext_hdr *x = h;
		if ((void *)(x + 1) > end)
			return -1;
		__u32 len = ((__u32)x->hdrlen + 1) * 8;
		if (len > rem)
			return -1;
		nh = x->nexthdr;
		h += len;
		rem -= len;
	}
	if (nh == IPPROTO_FRAGMENT)
		l3->fragment = 1; // after a full chain of MAX_IPV6_EXT headers
	if (!l3->fragment && (nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS))
		return -1; // chain longer than RFC 8200 allows

	l3->proto = nh;
	l3->l4 = h;
	l3->l4_len = rem;
	return 0;
}

// lookup_v4 and lookup_v6 find the allowlist entry covering the source
// address and copy it to *out (the inner trie may be replaced while this
// packet is in flight; the copy keeps the verdict on one version). They
// return 0 when found.
//
// They are separate, never-inlined functions on purpose: inlined, clang
// may merge the two trie lookups into one call instruction fed by either
// trie, and the verifier then has to call the generic lookup helper
// (an indirect call) instead of the trie's own function.
static __noinline int lookup_v4(const __u8 *addr, struct source *out)
{
	__u32 zero = 0;
	void *trie = bpf_map_lookup_elem(&sources_v4, &zero);
	if (!trie)
		return -1;
	struct lpm_v4_key k = {.prefixlen = 32};
	__builtin_memcpy(k.addr, addr, 4);
	struct source *s = bpf_map_lookup_elem(trie, &k);
	if (!s)
		return -1;
	__builtin_memcpy(out, s, sizeof(*out));
	return 0;
}

static __noinline int lookup_v6(const __u8 *addr, struct source *out)
{
	__u32 zero = 0;
	void *trie = bpf_map_lookup_elem(&sources_v6, &zero);
	if (!trie)
		return -1;
	struct lpm_v6_key k = {.prefixlen = 128};
	__builtin_memcpy(k.addr, addr, 16);
	struct source *s = bpf_map_lookup_elem(trie, &k);
	if (!s)
		return -1;
	__builtin_memcpy(out, s, sizeof(*out));
	return 0;
}

static __always_inline int lookup_source(const struct event *ev, struct source *out)
{
	if (ev->ip_version == 4)
		return lookup_v4(&ev->saddr[12], out);
	return lookup_v6(ev->saddr, out);
}

// ---------------------------------------------------------------------------
// L4 and policy.

static __always_inline __u8 port_class(__u16 dport, __u32 slot)
{
	__u32 zero = 0, key = dport;
	void *table = bpf_map_lookup_elem(&ports, &zero);
	if (!table)
		return CLASS_NONE;
	struct port_classes *pc = bpf_map_lookup_elem(table, &key);
	if (!pc || slot >= SLOT_MAX)
		return CLASS_NONE;
	return pc->by_l4[slot];
}

// rate_allow is a token bucket in its GCRA form (ITU-T I.371): one 64-bit
// "theoretical arrival time" per source instead of a token count and a
// timestamp, so it can be updated with a single compare-and-swap and stays
// exact when several CPUs see the same source at once (per-CPU buckets
// would multiply the rate by the number of receive queues the source's
// flows hash to; a spin lock is not allowed in an LRU map value).
//
// Emission interval T = 1 s / rate; a packet at time t conforms when
// TAT - t <= (burst - 1) * T, and then TAT = max(TAT, t) + T. So an idle
// source may send `burst` packets back to back, then one every T.
static __always_inline int rate_allow(const struct event *ev, const struct source *s)
{
	if (s->rate_pps == 0)
		return 1;
	__u64 now = bpf_ktime_get_ns();
	__u64 interval = NSEC_PER_SEC / s->rate_pps; // loader caps rate_pps at 1e9, so >= 1
	__u64 burst = s->burst ? s->burst : 1;
	__u64 tolerance = interval * (burst - 1);

	struct rate_key key;
	__builtin_memcpy(key.addr, ev->saddr, 16);
	struct rate_state *st = bpf_map_lookup_elem(&rate_limits, &key);
	if (!st) {
		// First packet from this address (or its bucket was evicted):
		// a full bucket, this packet takes one token.
		struct rate_state init = {.tat_ns = now + interval};
		if (bpf_map_update_elem(&rate_limits, &key, &init, BPF_NOEXIST) == 0)
			return 1;
		// Another CPU created it first: charge that bucket.
		st = bpf_map_lookup_elem(&rate_limits, &key);
		if (!st)
			return 1; // evicted again at once: table thrashing, let user space limit
	}

#pragma unroll
	for (int i = 0; i < RATE_CAS_TRIES; i++) {
		__u64 old = *(volatile __u64 *)&st->tat_ns;
		__u64 tat = old > now ? old : now;
		if (tat - now > tolerance)
			return 0;
		if (__sync_val_compare_and_swap(&st->tat_ns, old, tat + interval) == old)
			return 1;
	}
	// Every attempt lost to another CPU charging the same source: it is
	// sending at several packets per CAS round trip, far beyond any rate
	// worth allowing, so this one is treated as over the limit.
	return 0;
}

// type_forbidden applies a GTP message type table to one message.
static __always_inline int type_forbidden(__u32 version_slot, __u8 type, __u32 flags)
{
	__u32 key = type;
	void *table = bpf_map_lookup_elem(&gtp_types, &version_slot);
	if (!table)
		return 0;
	__u8 *v = bpf_map_lookup_elem(table, &key);
	if (!v || *v == TYPE_PASS)
		return 0;
	if (*v == TYPE_DROP_UNLESS_MOBILITY && (flags & SOURCE_MOBILITY))
		return 0;
	return 1; // TYPE_DROP, and any value the loader never writes: fail closed
}

// gtp_verdict checks the GTP-C header(s) at the start of a UDP payload of
// glen bytes and returns REASON_PASSED or the drop reason.
//
// GTPv1-C (TS 29.060 §6): 8 mandatory octets; Length counts what follows
// them and must fit in the datagram; with E, S or PN set the 4 optional
// octets are present, so Length >= 4. Protocol Type 0 is GTP', not GTP-C.
//
// GTPv2-C (TS 29.274 §5): 8 octets, 12 with a TEID (T flag); Length counts
// what follows the first 4 octets. With the P flag another GTPv2-C message
// is piggybacked after the first, so the first may be shorter than the
// datagram; both messages' types are checked.
static __always_inline int gtp_verdict(struct event *ev, const struct source *s, __u8 *g, void *end, __u32 glen)
{
	if (glen < 8 || (void *)(g + 8) > end)
		return REASON_GTP_MALFORMED;
	__u8 flags = g[0];
	__u8 version = flags >> 5;
	__u32 len = be16(&g[2]);
	ev->gtp_version = version;
	ev->gtp_type = g[1];
	// Home network nodes may send any message type (structure still counts).
	int check_types = !(s->flags & SOURCE_HOME);

	if (version == 1) {
		if (!(flags & 0x10))
			return REASON_GTP_MALFORMED; // GTP' (charging) on the GTP-C port
		if (len + 8 > glen)
			return REASON_GTP_MALFORMED;
		if ((flags & 0x07) && len < 4)
			return REASON_GTP_MALFORMED;
		if (check_types && type_forbidden(GTP_V1, ev->gtp_type, s->flags))
			return REASON_GTP_CAT1;
		return REASON_PASSED;
	}
	if (version != 2)
		return REASON_GTP_MALFORMED; // GTPv0 and others are not spoken on 2123

	__u32 hdr = (flags & 0x08) ? 12 : 8;
	if (glen < hdr || len + 4 < hdr || len + 4 > glen)
		return REASON_GTP_MALFORMED;
	if (check_types && type_forbidden(GTP_V2, ev->gtp_type, s->flags))
		return REASON_GTP_CAT1;
	if (!(flags & 0x10))
		return REASON_PASSED; // trailing bytes without P: user space flags them

	// Piggybacked message: the P flag promises a whole GTPv2-C header next.
	__u32 off = len + 4;
	if (off + 8 > glen)
		return REASON_GTP_MALFORMED;
	if (off > MAX_PIGGYBACK_OFFSET)
		return REASON_PASSED;
	// clang may test a copy of off and add the unchecked register to the
	// pointer; the barrier and the (otherwise redundant) mask give the
	// verifier the bound on the register actually used.
	asm volatile("" : "+r"(off));
	off &= MAX_PIGGYBACK_OFFSET;
	__u8 *g2 = g + off;
	if ((void *)(g2 + 8) > end)
		return REASON_GTP_MALFORMED;
	__u8 flags2 = g2[0];
	__u32 len2 = be16(&g2[2]);
	__u32 hdr2 = (flags2 & 0x08) ? 12 : 8;
	if ((flags2 >> 5) != 2 || len2 + 4 < hdr2 || off + len2 + 4 > glen)
		return REASON_GTP_MALFORMED;
	if (check_types && type_forbidden(GTP_V2, g2[1], s->flags)) {
		ev->gtp_type = g2[1];
		return REASON_GTP_CAT1;
	}
	return REASON_PASSED;
}

// ---------------------------------------------------------------------------
// The program.

SEC("xdp")
int breakwater_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct event ev;
	struct l3 l3;
	struct source src;
	__builtin_memset(&ev, 0, sizeof(ev));
	__builtin_memset(&l3, 0, sizeof(l3));
	__builtin_memset(&src, 0, sizeof(src));

	// L2: Ethernet and up to two VLAN tags. A runt frame, a truncated or
	// third tag, or another EtherType is not IP: the stack decides.
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return pass(REASON_NOT_SIGNALING);
	__be16 ethertype = eth->h_proto;
	void *cur = eth + 1;
#pragma unroll
	for (int i = 0; i < MAX_VLAN_TAGS; i++) {
		if (ethertype != bpf_htons(ETH_P_8021Q) && ethertype != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr *vh = cur;
		if ((void *)(vh + 1) > end)
			return pass(REASON_NOT_SIGNALING);
		ethertype = vh->encapsulated_proto;
		cur = vh + 1;
	}

	// L3.
	int rc;
	if (ethertype == bpf_htons(ETH_P_IP))
		rc = parse_ipv4(&ev, &l3, cur, end);
	else if (ethertype == bpf_htons(ETH_P_IPV6))
		rc = parse_ipv6(&ev, &l3, cur, end);
	else
		return pass(REASON_NOT_SIGNALING);
	__u32 zero = 0;
	const struct settings *cfg = bpf_map_lookup_elem(&config, &zero);
	if (rc < 0)
		return drop(cfg, &ev, REASON_MALFORMED);

	// Quarantine covers every packet of the partner, whatever the port and
	// even its fragments: the operator has cut it off.
	int looked_up = 0, known = 0;
	if (cfg && cfg->quarantined) {
		looked_up = 1;
		known = lookup_source(&ev, &src) == 0;
		if (known) {
			__u32 partner = src.partner_id;
			ev.partner_id = partner;
			if (bpf_map_lookup_elem(&quarantine, &partner))
				return drop(cfg, &ev, REASON_QUARANTINED);
		}
	}

	// A fragment has no (or only part of an) upper-layer header: pass it
	// to the stack, which reassembles; user space judges the result.
	if (l3.fragment)
		return pass(REASON_FRAGMENT_PASSED);

	__u32 slot;
	switch (l3.proto) {
	case IPPROTO_SCTP:
		slot = SLOT_SCTP;
		break;
	case IPPROTO_TCP:
		slot = SLOT_TCP;
		break;
	case IPPROTO_UDP:
		slot = SLOT_UDP;
		break;
	default:
		return pass(REASON_NOT_SIGNALING);
	}
	ev.l4_proto = l3.proto;

	// All three carry source and destination ports in their first four
	// octets. Without them the kernel would discard the packet too.
	__be16 *pp = l3.l4;
	if (l3.l4_len < 4 || (void *)(pp + 2) > end)
		return drop(cfg, &ev, REASON_MALFORMED);
	ev.dport = be16(&pp[1]);
	__u8 class = port_class(ev.dport, slot);
	if (class == CLASS_NONE)
		return pass(REASON_NOT_SIGNALING);
	ev.class = class;
	if (!looked_up) {
		known = lookup_source(&ev, &src) == 0;
		ev.partner_id = src.partner_id; // 0 when unknown (src stays zeroed)
	}

	// The whole L4 header of signaling traffic must be there.
	__u8 *payload = 0;
	__u32 payload_len = 0;
	if (slot == SLOT_SCTP) {
		struct sctp_common_hdr *sh = l3.l4;
		if (l3.l4_len < sizeof(*sh) || (void *)(sh + 1) > end)
			return drop(cfg, &ev, REASON_MALFORMED);
	} else if (slot == SLOT_TCP) {
		struct tcphdr *th = l3.l4;
		if (l3.l4_len < sizeof(*th) || (void *)(th + 1) > end)
			return drop(cfg, &ev, REASON_MALFORMED);
		if (th->doff < 5 || (__u32)th->doff * 4 > l3.l4_len)
			return drop(cfg, &ev, REASON_MALFORMED);
	} else {
		struct udphdr *uh = l3.l4;
		if (l3.l4_len < sizeof(*uh) || (void *)(uh + 1) > end)
			return drop(cfg, &ev, REASON_MALFORMED);
		__u32 ulen = be16(&uh->len);
		if (ulen < sizeof(*uh) || ulen > l3.l4_len)
			return drop(cfg, &ev, REASON_MALFORMED);
		payload = (__u8 *)(uh + 1);
		payload_len = ulen - sizeof(*uh);
	}

	if (!known)
		return drop(cfg, &ev, REASON_UNKNOWN_SOURCE);
	if (!rate_allow(&ev, &src))
		return drop(cfg, &ev, REASON_RATE_LIMITED);

	if (class == CLASS_GTPC && slot == SLOT_UDP) {
		__u32 r = gtp_verdict(&ev, &src, payload, end, payload_len);
		if (r != REASON_PASSED)
			return drop(cfg, &ev, r);
	}
	// Diameter and M3UA: SCTP chunks and TCP streams are reassembled and
	// judged in user space; here the source, quarantine and rate decide.
	return pass(REASON_PASSED);
}
