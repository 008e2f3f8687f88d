//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package bpf

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
)

// How a policy change reaches the kernel without a half-built table.
//
// Each policy table (IPv4 allowlist, IPv6 allowlist, ports, GTPv1 and
// GTPv2 type tables) is an inner map in a slot of an ARRAY_OF_MAPS (one
// slot each; the two GTP tables share one outer map, slots 0 and 1). An
// update never writes into a table a packet may be reading: it creates new
// inner maps, fills them completely from user space (the program cannot
// see them yet), and then stores each new map into its outer slot with one
// bpf(BPF_MAP_UPDATE_ELEM): the kernel replaces the slot's pointer with an
// RCU-protected store, so a packet looks up either the old table or the
// new one. Programs still running with the old table keep it alive until
// they finish (the kernel frees replaced inner maps after an RCU grace
// period), and the old maps are closed here right after.
//
// The five slots are replaced one after another within microseconds, so
// during an update a packet may meet, say, the new allowlist and the old
// port table; each table it meets is complete. Quarantine entries stand
// alone (one partner each) and are added before the swap and removed after
// it, so a partner quarantined in both versions is never let through.
// The settings' quarantine count (which lets the program skip quarantine
// lookups while nobody is quarantined) is raised after entries are added
// and lowered before they are removed, for the same reason.
//
// The program keeps, per CPU, what the allowlists and the quarantine set
// said about recent source addresses (the source cache in xdp.c), tagged
// with the policy generation. Every change to those tables ends with
// bumpGeneration, after the last map write of the change, so from then on
// no packet is judged by a cached answer from before it: Update and
// Quarantine return only after the bump.

// innerSpecs are the templates for new inner maps, taken from the outer
// maps' definitions in the object.
type innerSpecs struct {
	v4, v6, ports, gtp *ebpf.MapSpec
}

func innerSpecsOf(cs *ebpf.CollectionSpec) (innerSpecs, error) {
	get := func(outer string) (*ebpf.MapSpec, error) {
		ms, ok := cs.Maps[outer]
		if !ok || ms.InnerMap == nil {
			return nil, fmt.Errorf("bpf: the embedded XDP object has no map-in-map %q (xdp_bpfel.o is stale: go generate ./bpf/)", outer)
		}
		return ms.InnerMap, nil
	}
	var s innerSpecs
	var err error
	if s.v4, err = get(xdpMapSourcesV4); err != nil {
		return s, err
	}
	if s.v6, err = get(xdpMapSourcesV6); err != nil {
		return s, err
	}
	if s.ports, err = get(xdpMapPorts); err != nil {
		return s, err
	}
	if s.gtp, err = get(xdpMapGtpTypes); err != nil {
		return s, err
	}
	return s, nil
}

// tables is one complete set of inner maps.
type tables struct {
	v4, v6, ports, gtpV1, gtpV2 *ebpf.Map
}

func (t *tables) list() [5]*ebpf.Map {
	return [5]*ebpf.Map{t.v4, t.v6, t.gtpV1, t.gtpV2, t.ports}
}

func (t *tables) close() {
	for _, m := range t.list() {
		_ = m.Close() // nil-safe; a failed close leaks one fd, nothing to tell the caller
	}
}

// newInner creates an empty inner map from a template; tries get exactly
// the capacity they need (at least 1, which the kernel requires).
func newInner(tmpl *ebpf.MapSpec, name string, entries int) (*ebpf.Map, error) {
	s := tmpl.Copy()
	s.Name = name
	if s.Type == ebpf.LPMTrie {
		s.MaxEntries = uint32(max(entries, 1))
	}
	m, err := ebpf.NewMap(s)
	if err != nil {
		return nil, explain("create table "+name, err)
	}
	return m, nil
}

// build creates and fills a complete set of inner maps for c.
func (f *Filter) build(c *compiled) (t *tables, err error) {
	t = &tables{}
	defer func() {
		if err != nil {
			t.close()
		}
	}()

	if t.v4, err = newInner(f.inner.v4, "bw_sources_v4", len(c.v4)); err != nil {
		return nil, err
	}
	for _, s := range c.v4 {
		k := xdpLpmV4Key{Prefixlen: uint32(s.prefix.Bits()), Addr: s.prefix.Addr().As4()}
		v := s.value()
		if err := t.v4.Put(&k, &v); err != nil {
			return nil, fmt.Errorf("bpf: add Sources[%d] (%s) to the IPv4 allowlist: %w", s.index, s.prefix, err)
		}
	}
	if t.v6, err = newInner(f.inner.v6, "bw_sources_v6", len(c.v6)); err != nil {
		return nil, err
	}
	for _, s := range c.v6 {
		k := xdpLpmV6Key{Prefixlen: uint32(s.prefix.Bits()), Addr: s.prefix.Addr().As16()}
		v := s.value()
		if err := t.v6.Put(&k, &v); err != nil {
			return nil, fmt.Errorf("bpf: add Sources[%d] (%s) to the IPv6 allowlist: %w", s.index, s.prefix, err)
		}
	}

	if t.ports, err = newInner(f.inner.ports, "bw_ports", 0); err != nil {
		return nil, err
	}
	for port, classes := range c.ports {
		v := xdpPortClasses{ByL4: [4]uint8{uint8(classes[0]), uint8(classes[1]), uint8(classes[2])}}
		if err := t.ports.Put(uint32(port), &v); err != nil {
			return nil, fmt.Errorf("bpf: add port %d to the port table: %w", port, err)
		}
	}

	fillTypes := func(m *ebpf.Map, table *[256]TypeVerdict, what string) error {
		for typ, v := range table {
			if v == TypePass {
				continue // arrays start zeroed
			}
			if err := m.Put(uint32(typ), uint8(v)); err != nil {
				return fmt.Errorf("bpf: set %s type %d: %w", what, typ, err)
			}
		}
		return nil
	}
	if t.gtpV1, err = newInner(f.inner.gtp, "bw_gtp_v1_types", 0); err != nil {
		return nil, err
	}
	if err := fillTypes(t.gtpV1, &c.gtpV1, "GTPv1-C"); err != nil {
		return nil, err
	}
	if t.gtpV2, err = newInner(f.inner.gtp, "bw_gtp_v2_types", 0); err != nil {
		return nil, err
	}
	if err := fillTypes(t.gtpV2, &c.gtpV2, "GTPv2-C"); err != nil {
		return nil, err
	}
	return t, nil
}

func (s compiledSource) value() xdpSource {
	return xdpSource{PartnerId: s.partner, Flags: s.flags, RatePps: s.ratePPS, Burst: s.burst}
}

// apply makes c the active policy (f.mu held). On error the previous
// policy is still complete and active.
func (f *Filter) apply(c *compiled) (err error) {
	next, err := f.build(c)
	if err != nil {
		return err
	}
	// Whatever happened below (even a failure half-way, undone or not), the
	// source cache must not keep answers from before it.
	defer func() {
		if berr := f.bumpGeneration(); berr != nil {
			err = errors.Join(err, berr)
		}
	}()

	// Quarantine additions first: see the comment at the top of the file.
	var added []uint32
	undoAdded := func() {
		for _, id := range added {
			_ = f.objs.Quarantine.Delete(id)
			delete(f.quarantined, id)
		}
	}
	for id := range c.quarantined {
		if _, ok := f.quarantined[id]; ok {
			continue
		}
		if err := f.objs.Quarantine.Put(id, uint8(1)); err != nil {
			undoAdded()
			next.close()
			return fmt.Errorf("bpf: quarantine partner %d: %w", id, err)
		}
		f.quarantined[id] = struct{}{}
		added = append(added, id)
	}
	if len(added) > 0 {
		if err := f.writeSettings(f.sampleEvery); err != nil {
			undoAdded()
			next.close()
			return err
		}
	}

	// Slots in the order of tables.list.
	slots := [5]struct {
		outer *ebpf.Map
		key   uint32
		name  string
	}{
		{f.objs.SourcesV4, 0, "IPv4 allowlist"},
		{f.objs.SourcesV6, 0, "IPv6 allowlist"},
		{f.objs.GtpTypes, 0, "GTPv1-C type"},
		{f.objs.GtpTypes, 1, "GTPv2-C type"},
		{f.objs.Ports, 0, "port"},
	}
	nexts, prevs := next.list(), f.tables.list()
	for i, slot := range slots {
		if err := slot.outer.Update(slot.key, nexts[i], ebpf.UpdateAny); err != nil {
			// Put back what was already swapped: the old maps are intact.
			for j := i - 1; j >= 0; j-- {
				_ = slots[j].outer.Update(slots[j].key, prevs[j], ebpf.UpdateAny)
			}
			undoAdded()
			next.close()
			return fmt.Errorf("bpf: install the new %s table: %w", slot.name, err)
		}
	}
	prev := f.tables
	f.tables = next
	prev.close()

	// The new sampling rate and the final quarantine count, then the
	// removals. If the settings cannot be written, stale quarantines stay:
	// dropping a partner a little longer is the safe side.
	var stale []uint32
	for id := range f.quarantined {
		if _, keep := c.quarantined[id]; !keep {
			stale = append(stale, id)
		}
	}
	for _, id := range stale {
		delete(f.quarantined, id)
	}
	if err := f.writeSettings(c.sampleEvery); err != nil {
		for _, id := range stale {
			f.quarantined[id] = struct{}{}
		}
		return err
	}
	f.sampleEvery = c.sampleEvery
	var errs []error
	for _, id := range stale {
		if err := f.objs.Quarantine.Delete(id); err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
			errs = append(errs, fmt.Errorf("bpf: lift quarantine of partner %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// writeSettings stores the sampling rate and the size of the quarantine
// set as f.quarantined has it now.
func (f *Filter) writeSettings(sampleEvery uint32) error {
	s := xdpSettings{SampleEvery: sampleEvery, Quarantined: uint32(len(f.quarantined))}
	if err := f.objs.Config.Put(uint32(0), &s); err != nil {
		return fmt.Errorf("bpf: write the filter settings: %w", err)
	}
	return nil
}

// bumpGeneration invalidates every slot of the program's per-CPU source
// cache: it runs bump_generation, which adds one to the generation
// atomically. Call it after the allowlists or the quarantine set changed
// (after, not before: a packet judged between the change and the bump
// may fill a slot from the new tables, tagged with the old generation,
// which the bump invalidates too).
func (f *Filter) bumpGeneration() error {
	if _, err := f.objs.BumpGeneration.Run(&ebpf.RunOptions{Data: make([]byte, 14)}); err != nil {
		return fmt.Errorf("bpf: the policy change is in place, but the program's source cache could not be invalidated, so recently seen sources may be judged by the previous policy until a later Update or Quarantine succeeds: %w", err)
	}
	return nil
}
