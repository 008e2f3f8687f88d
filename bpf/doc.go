// Package bpf is Breakwater's XDP pre-filter: a small eBPF program
// (xdp.c, compiled by bpf2go into xdp_bpfel.o and embedded) that sheds,
// before the kernel's network stack, signaling packets from sources no
// allowlist prefix covers, everything from quarantined partners, packets
// over a source's rate, and GTP-C datagrams with a broken header or a
// message type the operator's category 1 tables forbid. User space runs
// the same checks (and far more) on whatever passes; the pre-filter only
// removes work from it.
//
// Fill a Spec from configuration, Load it, Attach the Filter to the
// interconnect-facing interfaces, Update it on configuration reload,
// read Counters for metrics and Events for sampled drops, and Close it on
// shutdown. Supported tells at start-up whether the kernel and the
// process's privileges allow it at all. See README.md in this directory.
package bpf
