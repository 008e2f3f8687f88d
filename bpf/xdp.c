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
#include <linux/time.h>
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

// One slot of the per-CPU source cache (see source_of): an address, the
// generation it was judged under, and what the allowlist and the
// quarantine set said about it then. 64 bytes, one cache line.
struct source_cache_slot {
	__u8 addr[16];      // as event.saddr: IPv6, or IPv4 as ::ffff:a.b.c.d
	__u64 tag;          // generation << 1 | 1 for IPv6; 0 (an empty slot) never matches
	struct source src;  // the allowlist entry; all zero when known is 0
	__u64 interval_ns;  // GCRA emission interval, 1 s / src.rate_pps; 0 = unlimited
	__u64 tolerance_ns; // interval_ns * (burst - 1)
	__u8 known;         // an allowlist prefix covers addr
	__u8 quarantined;   // src.partner_id was quarantined (only set while any partner is)
	__u8 pad[6];
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

// Rate state per source address (see rate_allow), in two places.
//
// rate_buckets: a shared array, direct-mapped by a hash of the address,
// where an address's state normally lives. Array lookups are an offset,
// not a hash-table walk. A bucket holds its owner's address; it changes
// hands only while idle (a full bucket, which is what a new bucket is),
// so handing it over takes nothing from the previous owner.
struct rate_bucket {
	__u64 tat_ns;  // GCRA theoretical arrival time; RATE_BUSY while changing hands
	__u8 addr[16]; // the owner, as event.saddr
	// The coarse clock's tick at which an exact clock read found the owner
	// over its limit (see rate_allow); 0 for none.
	__u64 checked_ns;
};

#define RATE_BUCKET_BITS 16

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1u << RATE_BUCKET_BITS);
	__type(key, __u32);
	__type(value, struct rate_bucket);
} rate_buckets SEC(".maps");

// rate_limits: every rate-limited address seen, with its state when its
// bucket is held by another address that is not idle, and otherwise a
// marker (RATE_MOVED) saying the state is in rate_buckets. LRU: sources
// are bounded by the allowlist prefixes, but one IPv6 /48 holds 2^80
// addresses, so a spoofing partner must only be able to evict its own (and
// others' idle) entries, never to fill the table.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct rate_key);
	__type(value, struct rate_state);
} rate_limits SEC(".maps");

// The coarse clock: bpf_ktime_get_ns as of the last tick of a BPF timer
// that fires every CLOCK_TICK_NS (see clock_tick), so that a packet of a
// rate-limited source reads the time from memory instead of calling the
// helper (~40 ns in a KVM guest with mitigated returns). Armed once by the
// loader (start_clock); the kernel cancels the timer when the loader's
// last reference to this map goes (Filter.Close). Until then, or when the
// last tick is more than a jiffy old (the timer's softirq starved, the
// timer cancelled), packets read the exact clock: see coarse_now.
#define CLOCK_TICK_NS 250000ULL // 250 µs

struct coarse_clock {
	__u64 now_ns;    // bpf_ktime_get_ns at the last tick; 0 until armed
	__u64 jiffies;   // bpf_jiffies64 right after it
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct coarse_clock);
} coarse_clock SEC(".maps");

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

// The policy generation: raised (by bump_generation, an atomic add) after
// every change to a table whose answer the source cache keeps, so that
// every slot filled before the change stops matching at once.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} generation SEC(".maps");

// The source cache: per CPU, direct-mapped by a hash of the source address
// (see source_of). Per CPU, so a slot is only ever written by the program
// on its own CPU, which nothing preempts: no locks, no torn slots.
#define SOURCE_CACHE_BITS 12
#define SOURCE_CACHE_SLOTS (1u << SOURCE_CACHE_BITS)

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SOURCE_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct source_cache_slot);
} source_cache SEC(".maps");

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

// Rounds of rate_allow before a contended packet is dropped.
#define RATE_TRIES 4

// rate_bucket.tat_ns while the bucket changes hands.
#define RATE_BUSY (~0ULL)
// rate_state.tat_ns with this bit set: the state moved to rate_buckets;
// the other bits are the bucket's time when it moved.
#define RATE_MOVED (1ULL << 63)

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

// zero_after returns 0, computed from v; after returns p plus that 0.
// Loads whose address depends on the result are ordered after the load
// that produced v, on weakly ordered CPUs too (the way rcu_dereference
// orders them). One ALU instruction, which clang cannot see through.
static __always_inline __u64 zero_after(__u64 v)
{
	asm volatile("%0 &= 0" : "+r"(v));
	return v;
}

static __always_inline const void *after(const void *p, __u64 v)
{
	return p + zero_after(v);
}

// lookup_v4 and lookup_v6 find the allowlist entry covering the source
// address and copy it to *out (the inner trie may be replaced while this
// packet is in flight; the copy keeps the verdict on one version). They
// return 0 when found. slot is the outer map's slot, 0, passed in so that
// the caller can order the lookup after a read (see source_of).
//
// They are separate, never-inlined functions on purpose: inlined, clang
// may merge the two trie lookups into one call instruction fed by either
// trie, and the verifier then has to call the generic lookup helper
// (an indirect call) instead of the trie's own function.
static __noinline int lookup_v4(const __u8 *addr, struct source *out, __u32 slot)
{
	void *trie = bpf_map_lookup_elem(&sources_v4, &slot);
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

static __noinline int lookup_v6(const __u8 *addr, struct source *out, __u32 slot)
{
	void *trie = bpf_map_lookup_elem(&sources_v6, &slot);
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

// source_of returns what the policy says about the packet's source: its
// allowlist entry (known, src), whether its partner is quarantined, and its
// rate parameters, from the per-CPU source cache.
//
// The cache is direct-mapped: the slot is chosen by a multiplicative hash
// of the address, and a slot answers only for the exact address (all 16
// bytes and the address family: an IPv4-mapped IPv6 source is not the
// IPv4 source) and only under the generation it was filled in. Anything
// else is a miss: the allowlist trie and the quarantine set are looked up
// as they are now and the slot is refilled, so two sources that share a
// slot each get their own answer (they just evict each other).
//
// User space raises the generation after every change to the allowlists
// or the quarantine set has taken effect (bump_generation), so a slot
// filled before the change never answers after it; one filled during the
// change is tagged with the older generation and is refilled too. The
// tables (and the quarantine count) are read after the generation, also on
// weakly ordered CPUs: the outer map slot is computed from the generation
// (after()), and every later read depends on what that lookup returned. So
// a slot never holds older tables' answer under a newer generation.
static __always_inline const struct source_cache_slot *
source_of(const struct event *ev, const struct settings *cfg, __u64 gen)
{
	const __u32 *w = (const __u32 *)ev->saddr;
	__u32 idx = ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x9e3779b1u) >> (32 - SOURCE_CACHE_BITS);
	struct source_cache_slot *c = bpf_map_lookup_elem(&source_cache, &idx);
	if (!c)
		return 0;
	__u64 tag = gen << 1 | (ev->ip_version == 6);
	const __u64 *a = (const __u64 *)ev->saddr;
	const __u64 *b = (const __u64 *)c->addr;
	if (c->tag == tag && b[0] == a[0] && b[1] == a[1])
		return c;

	// Miss: judge the source against the tables as they are now.
	__u32 outer = zero_after(gen); // slot 0, but read after gen
	__builtin_memset(&c->src, 0, sizeof(c->src));
	if (ev->ip_version == 4)
		c->known = lookup_v4(&ev->saddr[12], &c->src, outer) == 0;
	else
		c->known = lookup_v6(ev->saddr, &c->src, outer) == 0;
	c->quarantined = 0;
	// The quarantine count again, read after gen: the caller's read came
	// before it, and may predate the change that gen was bumped for.
	const struct settings *q = cfg ? after(cfg, gen) : 0;
	if (c->known && q && q->quarantined) {
		__u32 partner = c->src.partner_id;
		c->quarantined = bpf_map_lookup_elem(&quarantine, &partner) != 0;
	}
	c->interval_ns = 0;
	c->tolerance_ns = 0;
	if (c->src.rate_pps) {
		// The loader caps rate_pps at 1e9, so the interval is >= 1 ns.
		c->interval_ns = NSEC_PER_SEC / c->src.rate_pps;
		__u64 burst = c->src.burst ? c->src.burst : 1;
		c->tolerance_ns = c->interval_ns * (burst - 1);
	}
	__builtin_memcpy(c->addr, ev->saddr, 16);
	c->tag = tag;
	return c;
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

// The rate limit is a token bucket in its GCRA form (ITU-T I.371): one
// 64-bit "theoretical arrival time" per source address instead of a token
// count and a timestamp, so it can be updated with a single compare-and-swap
// and stays exact when several CPUs see the same source at once (per-CPU
// buckets would multiply the rate by the number of receive queues the
// source's flows hash to).
//
// Emission interval T = 1 s / rate; a packet at time t conforms when
// TAT - t <= (burst - 1) * T, and then TAT = max(TAT, t) + T. So an idle
// source may send `burst` packets back to back, then one every T. A TAT at
// or before t is a full bucket: the same as no state at all.
//
// The time t. The exact clock (bpf_ktime_get_ns) costs ~40 ns in a KVM
// guest, as much as the rest of the program, so a packet whose source owns
// its bucket (rate_allow) may judge it by the coarse clock c instead: the
// exact clock as of the last tick, c <= t, lagging it by L, at most a tick
// (250 µs) when the timer keeps time and never more than two ticks plus
// two jiffies (coarse_now; else the exact clock is read). What that
// changes:
//
//   - The check (TAT - c <= tolerance) is stricter than the exact one. A
//     packet it refuses is judged again with the exact clock, so that
//     strictness drops nothing, except that once an exact read has found
//     the source over its limit, the other packets of the same tick are
//     dropped without reading the clock again (checked_ns): an over-limit
//     flood pays one exact read per tick, and a packet that becomes
//     conforming later in that tick waits for the next (at most 250 µs).
//   - The charge. While the bucket is not full (TAT > c), the new TAT is
//     TAT + T whatever the time, as with the exact clock. A full bucket
//     (TAT <= c) is charged from c rather than t, which leaves the source
//     t - c <= L of credit. So a lagging clock is not only stricter: GCRA
//     lets at most burst + window / T packets through in any window of
//     time, and with the coarse clock at most burst + (window + L) / T.
//     The long-run rate is unchanged (the credit does not add up: charged
//     times are T apart and never after the real ones). Hence the coarse
//     clock is used only for sources whose burst spans at least
//     COARSE_MIN_BURST_NS (tolerance + T: the default burst, one second's
//     worth, spans a second), where L adds at most 1% of the burst (250
//     µs of 25 ms) while the timer keeps time, a third at worst (8.5 ms
//     at HZ=250); sources with a smaller burst keep the exact clock.
//   - Time read from two clocks never runs backwards where it could grant
//     anything: every exact read is clamped to at least the coarse value
//     the packet saw, and everything that hands state over between places
//     (rate_allow_slow) uses the exact clock, as before the coarse clock.
//     A lagging t only makes a check stricter, and a TAT only grows.
#define COARSE_MIN_BURST_NS (100 * CLOCK_TICK_NS) // 25 ms

// coarse_now returns the coarse clock, or 0 when it is not to be trusted:
// never armed (0), or its last tick more than a jiffy behind the jiffies
// counter (which the tick interrupt advances, not a softirq, so it keeps
// moving when the timer's softirq is held up or the timer is gone). A
// value it returns is an exact clock reading at most two ticks plus two
// jiffies old (the two fields are written one after the other).
// bpf_jiffies64 is inlined by the verifier: one memory read.
static __always_inline __u64 coarse_now(void)
{
	__u32 zero = 0;
	const struct coarse_clock *k = bpf_map_lookup_elem(&coarse_clock, &zero);
	if (!k)
		return 0;
	__u64 now = *(volatile const __u64 *)&k->now_ns;
	__u64 j = *(volatile const __u64 *)&k->jiffies;
	if ((__s64)(bpf_jiffies64() - j) > 1)
		return 0;
	return now;
}

// exact_now reads the exact clock, never earlier than coarse (a reading
// of the same clock taken before).
static __always_inline __u64 exact_now(__u64 coarse)
{
	__u64 now = bpf_ktime_get_ns();
	return now < coarse ? coarse : now;
}

static __always_inline int owns(const struct rate_bucket *b, __u64 tat, const struct event *ev)
{
	const __u64 *o = after(b->addr, tat); // the owner as of tat, not older
	const __u64 *a = (const __u64 *)ev->saddr;
	return o[0] == a[0] && o[1] == a[1];
}

// conforms applies GCRA to the state tat at time now: 1 and in *next the
// state charged with this packet, or 0 (over the limit).
static __always_inline int conforms(__u64 tat, __u64 now, const struct source_cache_slot *c, __u64 *next)
{
	if (tat < now)
		tat = now;
	if (tat - now > c->tolerance_ns)
		return 0;
	*next = tat + c->interval_ns;
	return 1;
}

// rate_entry returns the address's rate_limits entry, created (no state:
// 0) if there is none. Another CPU may create it first: then that one.
static __always_inline struct rate_state *rate_entry(const struct event *ev)
{
	struct rate_key key;
	__builtin_memcpy(key.addr, ev->saddr, 16);
	struct rate_state *st = bpf_map_lookup_elem(&rate_limits, &key);
	if (st)
		return st;
	struct rate_state init = {.tat_ns = 0};
	bpf_map_update_elem(&rate_limits, &key, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&rate_limits, &key);
}

// rate_allow charges the packet to its source address's state: 1 if it
// conforms, 0 if it is over the limit.
//
// Where the state is. An address's state is in exactly one place: in its
// bucket in rate_buckets while the bucket holds its address; otherwise in
// its rate_limits entry, unless that entry is RATE_MOVED, which means the
// state went to the bucket, and the bucket (holding another address now)
// was idle when it was handed on: a full bucket, nothing to keep.
//
//   - Fast path: the bucket holds the address; one compare-and-swap.
//   - The bucket is idle (TAT <= now) or unused: the address takes it with
//     its state. A compare-and-swap marks the bucket RATE_BUSY (one taker
//     wins); another marks the rate_limits entry RATE_MOVED (no CPU charges
//     the old place meanwhile; if that fails, the bucket is given back
//     untouched); then the address is written and the state, charged with
//     this packet, stored with a fully ordered exchange.
//   - The bucket holds another address that is not idle: the state stays
//     in (or is created in) rate_limits, charged by compare-and-swap.
//
// Every compare-and-swap expects a value read earlier in its round, and
// no value ever comes back, so success proves nothing changed since the
// read, including the owner address read after it (ordered by after()). A
// bucket's TAT only grows: a new owner's state is charged at or after now,
// and the previous owner's TAT was at or before now (idle). A rate_limits
// value only grows too: RATE_MOVED carries the state as it moved, and a
// state started after the bucket was handed on starts at a clock read
// after that (a full bucket at that time). A round that loses starts
// again; after RATE_TRIES the packet counts as over the limit: its source
// is sending several packets per compare-and-swap round trip on several
// CPUs at once.
//
// The first round's fast path is inlined into the program; the rest is
// rate_allow_slow, a global (not static) function, so that the verifier
// checks it once, on its own, rather than once for every path that
// reaches it (with its rounds, that took a few times the rest of the
// program), and the common case pays no function call (each costs ~10 ns
// where returns are mitigated against speculation). Its arguments are
// then plain memory the verifier wants NULL-checked.
//
// The fast path judges by the coarse clock (see above); rate_allow_slow
// by the exact clock: now when coarse is 0 (the fast path read it
// already), else read here. A packet over the limit by the exact clock
// in its bucket marks the bucket with the coarse tick (checked_ns).
__noinline int rate_allow_slow(const struct event *ev, const struct source_cache_slot *c, __u64 coarse, __u64 now)
{
	if (!ev || !c)
		return 1;
	if (coarse)
		now = exact_now(coarse);
	const __u32 *w = (const __u32 *)ev->saddr;
	__u32 idx = ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x85ebca6bu) >> (32 - RATE_BUCKET_BITS);
	struct rate_bucket *b = bpf_map_lookup_elem(&rate_buckets, &idx);
	if (!b)
		return 1; // cannot happen: idx is in range
	struct rate_state *st = 0;
	__u64 next;

	for (int i = 1; i < RATE_TRIES; i++) { // round 0 was rate_allow's
		__u64 t = *(volatile __u64 *)&b->tat_ns;
		if (t != RATE_BUSY && owns(b, t, ev)) {
			if (!conforms(t, now, c, &next)) {
				if (coarse)
					b->checked_ns = coarse;
				return 0;
			}
			if (__sync_val_compare_and_swap(&b->tat_ns, t, next) == t)
				return 1;
			continue;
		}

		if (!st) {
			st = rate_entry(ev);
			if (!st)
				return 1; // evicted again at once: table thrashing, let user space limit
		}
		__u64 x = *(volatile __u64 *)&st->tat_ns;
		// The bucket again, read after x.
		const struct rate_bucket *bb = after(b, x);
		t = *(volatile __u64 *)&bb->tat_ns;
		if (t != RATE_BUSY && owns(bb, t, ev))
			continue; // moved in meanwhile: the fast path
		__u64 tat = x;
		if (x & RATE_MOVED) {
			if (t == RATE_BUSY)
				continue; // perhaps moving in right now
			// The state moved to the bucket, which was idle when it was
			// handed on: a full bucket, now. "Now" from a clock read
			// after that hand-over (the first read may precede it), and
			// not before the state as it moved.
			tat = 0;
			now = exact_now(coarse);
			__u64 moved = x & ~RATE_MOVED;
			if (now < moved)
				now = moved;
		}

		if (t != RATE_BUSY && t <= now) {
			// An idle (or unused) bucket: take it, with the state.
			if (__sync_val_compare_and_swap(&b->tat_ns, t, RATE_BUSY) != t)
				continue;
			int ok = conforms(tat, now, c, &next);
			__u64 state = ok ? next : tat; // a refused packet leaves it as it was
			if (__sync_val_compare_and_swap(&st->tat_ns, x, RATE_MOVED | state) != x) {
				__sync_lock_test_and_set(&b->tat_ns, t); // give it back, untouched
				continue;
			}
			__builtin_memcpy(b->addr, ev->saddr, 16);
			b->checked_ns = 0; // the previous owner's
			__sync_lock_test_and_set(&b->tat_ns, state);
			return ok;
		}

		// The bucket is another address's: the state stays in rate_limits.
		if (!conforms(tat, now, c, &next))
			return 0;
		if (__sync_val_compare_and_swap(&st->tat_ns, x, next) == x)
			return 1;
	}
	// Every round lost to another CPU charging or moving the same source.
	return 0;
}

static __always_inline int rate_allow(const struct event *ev, const struct source_cache_slot *c)
{
	__u64 coarse = 0;
	if (c->tolerance_ns + c->interval_ns >= COARSE_MIN_BURST_NS)
		coarse = coarse_now(); // 0: read the exact clock
	__u64 now = coarse ? coarse : bpf_ktime_get_ns();
	const __u32 *w = (const __u32 *)ev->saddr;
	__u32 idx = ((w[0] ^ w[1] ^ w[2] ^ w[3]) * 0x85ebca6bu) >> (32 - RATE_BUCKET_BITS);
	struct rate_bucket *b = bpf_map_lookup_elem(&rate_buckets, &idx);
	if (!b)
		return 1; // cannot happen: idx is in range
	__u64 t = *(volatile __u64 *)&b->tat_ns;
	if (t != RATE_BUSY && owns(b, t, ev)) {
		__u64 next;
		if (conforms(t, now, c, &next)) {
			if (__sync_val_compare_and_swap(&b->tat_ns, t, next) == t)
				return 1;
		} else if (coarse && *(volatile __u64 *)&b->checked_ns == coarse) {
			return 0; // over its limit by the exact clock, this tick
		}
		// Refused by the coarse clock: the exact one decides.
	}
	return rate_allow_slow(ev, c, coarse, now);
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
	__builtin_memset(&ev, 0, sizeof(ev));
	__builtin_memset(&l3, 0, sizeof(l3));

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
	const __u64 *genp = bpf_map_lookup_elem(&generation, &zero);
	__u64 gen = genp ? *genp : 0;

	// Quarantine covers every packet of the partner, whatever the port and
	// even its fragments: the operator has cut it off.
	const struct source_cache_slot *src = 0;
	int looked_up = 0;
	if (cfg && cfg->quarantined) {
		looked_up = 1;
		src = source_of(&ev, cfg, gen);
		if (src && src->known) {
			ev.partner_id = src->src.partner_id;
			if (src->quarantined)
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
		src = source_of(&ev, cfg, gen);
		if (src)
			ev.partner_id = src->src.partner_id; // 0 when unknown
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

	if (!src || !src->known)
		return drop(cfg, &ev, REASON_UNKNOWN_SOURCE);
	if (src->interval_ns && !rate_allow(&ev, src))
		return drop(cfg, &ev, REASON_RATE_LIMITED);

	if (class == CLASS_GTPC && slot == SLOT_UDP) {
		__u32 r = gtp_verdict(&ev, &src->src, payload, end, payload_len);
		if (r != REASON_PASSED)
			return drop(cfg, &ev, r);
	}
	// Diameter and M3UA: SCTP chunks and TCP streams are reassembled and
	// judged in user space; here the source, quarantine and rate decide.
	return pass(REASON_PASSED);
}

// bump_generation raises the policy generation by one, atomically. User
// space runs it (BPF_PROG_TEST_RUN) after every change the source cache
// must not outlive; it is never attached. An atomic add rather than a map
// update from user space, which is a plain memory copy that a packet could
// read half-done.
SEC("xdp")
int bump_generation(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&generation, &zero);
	if (g)
		__sync_fetch_and_add(g, 1);
	return XDP_PASS;
}

// clock_tick is the coarse clock's timer callback: it stores the exact
// clock (then the jiffies counter, which coarse_now compares) and starts
// the timer again. It runs in softirq context on one CPU; the 64-bit
// stores are single instructions, so a packet reads an old or a new
// value, never half of each.
static int clock_tick(void *map, __u32 *key, struct coarse_clock *k)
{
	*(volatile __u64 *)&k->now_ns = bpf_ktime_get_ns();
	*(volatile __u64 *)&k->jiffies = bpf_jiffies64();
	bpf_timer_start(&k->timer, CLOCK_TICK_NS, 0);
	return 0;
}

// start_clock arms the coarse clock: the loader runs it once
// (BPF_PROG_TEST_RUN) after loading; it is never attached. XDP_PASS when
// the timer runs, XDP_ABORTED when the kernel refused it (Load fails: a
// silent fallback to the exact clock would hide the cost). The timer
// holds this program; the kernel cancels the timer and lets go of both
// when the last user-space reference to coarse_clock is closed.
SEC("xdp")
int start_clock(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct coarse_clock *k = bpf_map_lookup_elem(&coarse_clock, &zero);
	if (!k)
		return XDP_ABORTED;
	if (bpf_timer_init(&k->timer, &coarse_clock, CLOCK_MONOTONIC) != 0)
		return XDP_ABORTED;
	if (bpf_timer_set_callback(&k->timer, clock_tick) != 0)
		return XDP_ABORTED;
	*(volatile __u64 *)&k->now_ns = bpf_ktime_get_ns();
	*(volatile __u64 *)&k->jiffies = bpf_jiffies64();
	if (bpf_timer_start(&k->timer, CLOCK_TICK_NS, 0) != 0)
		return XDP_ABORTED;
	return XDP_PASS;
}
