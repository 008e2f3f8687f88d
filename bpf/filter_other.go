//go:build !linux || !(386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"context"
	"errors"
	"runtime"
)

// The XDP object is built for little-endian BPF and XDP exists only on
// Linux: elsewhere the package builds, and every entry point says why it
// cannot run, so callers fall back to the user-space checks.
var errUnsupported = errors.New("bpf: the XDP pre-filter needs Linux on a little-endian CPU (this build is " + runtime.GOOS + "/" + runtime.GOARCH + ")")

// Filter is the loaded pre-filter; it cannot be loaded on this platform.
type Filter struct{}

// Supported reports why the pre-filter cannot run here.
func Supported() error { return errUnsupported }

// Load validates spec and reports why the pre-filter cannot run here.
func Load(spec *Spec) (*Filter, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return nil, errUnsupported
}

func (f *Filter) Attach(ifname string, mode Mode) (Mode, error)    { return 0, errUnsupported }
func (f *Filter) Detach(ifname string) error                       { return errUnsupported }
func (f *Filter) Update(spec *Spec) error                          { return errUnsupported }
func (f *Filter) Quarantine(partner uint32, on bool) error         { return errUnsupported }
func (f *Filter) Counters() (map[string]uint64, error)             { return nil, errUnsupported }
func (f *Filter) Events(ctx context.Context, fn func(Event)) error { return errUnsupported }
func (f *Filter) Close() error                                     { return nil }
