//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
)

// Filter is the loaded pre-filter: the XDP program, its maps, the
// interfaces it is attached to and the drop-event reader. Its methods are
// safe for concurrent use.
type Filter struct {
	mu          sync.Mutex
	closed      bool
	objs        xdpObjects
	inner       innerSpecs
	tables      *tables             // the inner maps the outer slots point at now
	quarantined map[uint32]struct{} // mirror of the quarantine map
	sampleEvery uint32              // as last written to the settings
	links       []attachment

	events  *ringbuf.Reader // set once by Load; closed by Close
	reading atomic.Bool     // an Events call is running (the ring has one consumer)
}

type attachment struct {
	ifname string
	mode   Mode
	link   link.Link
}

var errClosed = errors.New("bpf: the filter is closed")

// Supported reports whether this process can run the pre-filter on this
// kernel: nil, or one error that says what is missing, e.g. for a start-up
// line "XDP pre-filter unavailable (<err>); the same checks run in user
// space". It loads the program once (the verifier's answer is the only
// reliable one) and unloads it; nothing is attached.
func Supported() error {
	f, err := Load(&Spec{})
	if err != nil {
		return err
	}
	return f.Close()
}

// Load checks spec, loads the XDP program and its maps into the kernel and
// fills the tables from spec. Nothing is attached yet: see Attach.
func Load(spec *Spec) (*Filter, error) {
	c, err := spec.compile()
	if err != nil {
		return nil, err
	}
	if err := probeKernel(); err != nil {
		return nil, err
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK (later ones to
	// the cgroup, and this is a no-op there). Process-wide, by necessity.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, explain("raise RLIMIT_MEMLOCK for BPF maps", err)
	}
	cs, err := loadXdp()
	if err != nil {
		return nil, fmt.Errorf("bpf: the embedded XDP object does not parse (regenerate it: go generate ./bpf/): %w", err)
	}
	inner, err := innerSpecsOf(cs)
	if err != nil {
		return nil, err
	}
	f := &Filter{inner: inner, quarantined: map[uint32]struct{}{}}
	if err := cs.LoadAndAssign(&f.objs, nil); err != nil {
		return nil, explain("load the XDP program and its maps", err)
	}
	// Until the first apply, the slots hold the empty tables xdp.c
	// declares; apply replaces and closes them like any previous version.
	f.tables = &tables{
		v4: f.objs.SourcesV4Empty, v6: f.objs.SourcesV6Empty, ports: f.objs.PortsEmpty,
		gtpV1: f.objs.GtpV1TypesEmpty, gtpV2: f.objs.GtpV2TypesEmpty,
	}
	if err := f.apply(c); err != nil {
		f.tables.close() // the new tables if apply got as far as installing them
		_ = f.objs.Close()
		return nil, err
	}
	f.events, err = ringbuf.NewReader(f.objs.Events)
	if err != nil {
		f.tables.close()
		_ = f.objs.Close()
		return nil, explain("open the drop-event ring buffer", err)
	}
	if err := f.startClock(); err != nil {
		_ = f.events.Close()
		f.tables.close()
		_ = f.objs.Close()
		return nil, err
	}
	return f, nil
}

// startClock arms the rate limiter's coarse clock: it runs start_clock,
// which starts a BPF timer that stores the time every 250 µs (see
// coarse_clock in xdp.c). The timer runs until the coarse_clock map's last
// file descriptor is closed (Close); the kernel then cancels it. Until it
// runs, or if it stops, the program reads the exact clock.
func (f *Filter) startClock() error {
	ret, err := f.objs.StartClock.Run(&ebpf.RunOptions{Data: make([]byte, 14)})
	if err != nil {
		return explain("start the rate limiter's clock", err)
	}
	if ret != 2 { // XDP_PASS
		return fmt.Errorf("bpf: start the rate limiter's clock: the kernel refused the BPF timer (start_clock returned %d; kernel %s, %s or later is needed)", ret, release(), minKernel)
	}
	return nil
}

// Attach runs the filter on the interface's receive path. ModeNative tries
// the driver first and falls back to ModeGeneric; the mode used is
// returned (log it: generic mode costs more per packet).
func (f *Filter) Attach(ifname string, mode Mode) (Mode, error) {
	if mode != ModeNative && mode != ModeGeneric {
		return 0, fmt.Errorf("bpf: attach to %q: mode %d: use ModeNative or ModeGeneric", ifname, mode)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, errClosed
	}
	for _, a := range f.links {
		if a.ifname == ifname {
			return 0, fmt.Errorf("bpf: attach to %q: already attached (%s mode)", ifname, a.mode)
		}
	}
	ifc, err := net.InterfaceByName(ifname)
	if err != nil {
		return 0, fmt.Errorf("bpf: attach to %q: %w: check the interface name (ip link show)", ifname, err)
	}
	// The program parses Ethernet frames. On an L3 device (tun, WireGuard,
	// GRE...) XDP sees bare IP packets, which it would misread as Ethernet
	// and pass as not signaling: refuse rather than filter nothing.
	// Loopback frames carry a (zero) Ethernet header.
	if len(ifc.HardwareAddr) != 6 && ifc.Flags&net.FlagLoopback == 0 {
		return 0, fmt.Errorf("bpf: attach to %q: not an Ethernet interface (its link-layer address is %d bytes): attach to the Ethernet interface (or its VLAN) that carries the interconnect traffic", ifname, len(ifc.HardwareAddr))
	}
	attach := func(flags link.XDPAttachFlags) (link.Link, error) {
		return link.AttachXDP(link.XDPOptions{Program: f.objs.BreakwaterXdp, Interface: ifc.Index, Flags: flags})
	}

	var nativeErr error
	if mode == ModeNative {
		l, err := attach(link.XDPDriverMode)
		if err == nil {
			f.links = append(f.links, attachment{ifname: ifname, mode: ModeNative, link: l})
			return ModeNative, nil
		}
		if busy(err) {
			return 0, explainAttach(ifname, err)
		}
		nativeErr = err // the driver has no XDP support (or refuses it): try generic
	}
	l, err := attach(link.XDPGenericMode)
	if err != nil {
		if nativeErr != nil {
			err = fmt.Errorf("native: %w; generic: %w", nativeErr, err)
		}
		return 0, explainAttach(ifname, err)
	}
	f.links = append(f.links, attachment{ifname: ifname, mode: ModeGeneric, link: l})
	return ModeGeneric, nil
}

// Detach removes the filter from one interface.
func (f *Filter) Detach(ifname string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errClosed
	}
	for i, a := range f.links {
		if a.ifname == ifname {
			f.links = append(f.links[:i], f.links[i+1:]...)
			if err := a.link.Close(); err != nil {
				return fmt.Errorf("bpf: detach from %q: %w", ifname, err)
			}
			return nil
		}
	}
	return fmt.Errorf("bpf: detach from %q: not attached there", ifname)
}

// Update replaces the whole policy while the program stays attached. Each
// table is built completely in a new inner map and then put in place by a
// single map update, so every packet is judged by a whole old table or a
// whole new one (see apply). On error nothing has changed, but for one
// error that says so: the new policy is in place and the program's source
// cache could not be invalidated (see bumpGeneration).
func (f *Filter) Update(spec *Spec) error {
	c, err := spec.compile()
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errClosed
	}
	return f.apply(c)
}

// Quarantine drops (on) or stops dropping (off) every packet from the
// partner's prefixes. It takes effect at once; a later Update sets the
// quarantine set to its Spec's Quarantined, so keep the two in step.
func (f *Filter) Quarantine(partner uint32, on bool) (err error) {
	if partner == 0 {
		return errors.New("bpf: quarantine partner 0: 0 is reserved; use the partner's nonzero id")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return errClosed
	}
	_, already := f.quarantined[partner]
	if on == already {
		return nil
	}
	// After the change (or a failed attempt at it), the source cache must
	// not answer from the quarantine set as it was.
	defer func() {
		if berr := f.bumpGeneration(); berr != nil {
			err = errors.Join(err, berr)
		}
	}()
	// The entry goes in before the count goes up, and the count goes down
	// before the entry goes out (see struct settings in xdp.c).
	switch {
	case on && !already:
		if len(f.quarantined) >= MaxQuarantined {
			return fmt.Errorf("bpf: quarantine partner %d: already %d partners quarantined, the most the kernel table holds", partner, MaxQuarantined)
		}
		if err := f.objs.Quarantine.Put(partner, uint8(1)); err != nil {
			return fmt.Errorf("bpf: quarantine partner %d: %w", partner, err)
		}
		f.quarantined[partner] = struct{}{}
		if err := f.writeSettings(f.sampleEvery); err != nil {
			delete(f.quarantined, partner)
			_ = f.objs.Quarantine.Delete(partner)
			return fmt.Errorf("bpf: quarantine partner %d: %w", partner, err)
		}
	case !on && already:
		delete(f.quarantined, partner)
		if err := f.writeSettings(f.sampleEvery); err != nil {
			f.quarantined[partner] = struct{}{}
			return fmt.Errorf("bpf: lift quarantine of partner %d: %w", partner, err)
		}
		if err := f.objs.Quarantine.Delete(partner); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			// The count no longer includes it, so the program may skip the
			// check already; put the count back so the entry still counts.
			f.quarantined[partner] = struct{}{}
			_ = f.writeSettings(f.sampleEvery)
			return fmt.Errorf("bpf: lift quarantine of partner %d: %w", partner, err)
		}
	}
	return nil
}

// Counters returns the packets counted per reason (Reason.String names),
// summed over CPUs, since Load.
func (f *Filter) Counters() (map[string]uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errClosed
	}
	out := make(map[string]uint64, numReasons)
	var perCPU []uint64
	for r := range numReasons {
		if err := f.objs.Counters.Lookup(uint32(r), &perCPU); err != nil {
			return nil, fmt.Errorf("bpf: read counter %s: %w", r, err)
		}
		var sum uint64
		for _, v := range perCPU {
			sum += v
		}
		out[r.String()] = sum
	}
	return out, nil
}

// Events calls fn for every sampled drop (see Spec.SampleEvery) until ctx
// is done or the filter is closed, then returns nil. Run it in its own
// goroutine; only one Events call may run at a time. fn runs on the
// calling goroutine and should return quickly: while it runs, new events
// wait in the ring buffer, and when that fills they are counted as
// events_lost, never waited for.
func (f *Filter) Events(ctx context.Context, fn func(Event)) error {
	if !f.reading.CompareAndSwap(false, true) {
		return errors.New("bpf: Events is already running on this filter (the ring buffer has one reader)")
	}
	defer f.reading.Store(false)
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return errClosed
	}
	// Flush wakes a blocked read without taking the reader's lock (which a
	// blocked read holds), so cancelling ctx ends the loop promptly.
	stop := context.AfterFunc(ctx, func() { _ = f.events.Flush() })
	defer stop()

	var rec ringbuf.Record
	for ctx.Err() == nil {
		err := f.events.ReadInto(&rec)
		switch {
		case err == nil:
			if ev, ok := decodeEvent(rec.RawSample); ok {
				fn(ev)
			}
		case errors.Is(err, ringbuf.ErrFlushed):
			// ctx is checked by the loop.
		case errors.Is(err, os.ErrClosed):
			return nil
		default:
			return fmt.Errorf("bpf: read drop events: %w", err)
		}
	}
	return nil
}

// Close detaches the program from every interface and frees its maps. It
// ends a running Events call.
func (f *Filter) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	var errs []error
	for _, a := range f.links {
		if err := a.link.Close(); err != nil {
			errs = append(errs, fmt.Errorf("bpf: detach from %q: %w", a.ifname, err))
		}
	}
	f.links = nil
	if err := f.events.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bpf: close the drop-event reader: %w", err))
	}
	f.tables.close()
	if err := f.objs.Close(); err != nil {
		errs = append(errs, fmt.Errorf("bpf: unload: %w", err))
	}
	return errors.Join(errs...)
}
