package bpf

// xdp_bpfel.o and xdp_bpfel.go are generated from xdp.c and committed, so
// building Breakwater needs no C toolchain. Regenerating needs Debian 12's
// clang-14, llvm-14 (llvm-strip-14) and libbpf-dev; the compiler is pinned
// by name because another clang emits different (equally valid) bytes and
// `make check-generated` compares them. -mcpu=v3 is needed for the atomic
// compare-and-swap of the rate limiter (Linux 5.12+). Both multiarch include
// directories are listed so that amd64 and arm64 hosts find <asm/types.h>
// (a missing directory is ignored).
//
//go:generate go tool bpf2go -cc clang-14 -strip llvm-strip-14 -target bpfel -type source -type lpm_v4_key -type lpm_v6_key -type port_classes -type settings xdp xdp.c -- -Wall -Werror -mcpu=v3 -I/usr/include/x86_64-linux-gnu -I/usr/include/aarch64-linux-gnu
