// Package gtp reads GTP-C messages — GTPv2-C (3GPP TS 29.274, S5/S8/S11)
// and GTPv1-C (TS 29.060, Gn/Gp) — without allocating: headers are
// checked, information elements are walked in place with every length
// bounded by its container and grouped IEs nested at most MaxDepth deep,
// and Decode fills the protocol-neutral view.Message. GTPv0 and GTP'
// (charging, TS 32.295, also on port 3386) share the first octet's version
// bits and are recognised and refused rather than misread.
//
// github.com/wmnsk/go-gtp serves tests (an independent encoder and
// decoder); it allocates per IE, so the per-message path does not use it.
package gtp
