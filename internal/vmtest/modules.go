package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// defaultModules are the modules loaded in the VM, in addition to their
// hard dependencies (read from each module's .modinfo "depends="):
// crc32c_generic is named explicitly because libcrc32c only has a soft
// dependency on the "crc32c" algorithm, and sctp pulls in libcrc32c,
// udp_tunnel and ip6_udp_tunnel.
var defaultModules = []string{"crc32c_generic", "sctp"}

// kmod is one kernel module to insmod, in load order.
type kmod struct {
	name string // normalized: dashes become underscores
	path string // host path, possibly compressed (.ko.xz, .ko.zst, .ko.gz)
	data []byte // uncompressed ELF
}

func normModName(s string) string {
	s = filepath.Base(s)
	for _, ext := range []string{".xz", ".zst", ".gz"} {
		s = strings.TrimSuffix(s, ext)
	}
	s = strings.TrimSuffix(s, ".ko")
	return strings.ReplaceAll(s, "-", "_")
}

// resolveModules returns roots and their dependency closure in an order in
// which each module comes after everything it depends on. Modules built
// into the kernel (modules.builtin) are left out.
func resolveModules(modDir string, roots []string) ([]*kmod, error) {
	index := map[string]string{}
	err := filepath.WalkDir(filepath.Join(modDir, "kernel"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(d.Name(), ".ko") {
			index[normModName(d.Name())] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	builtin := map[string]bool{}
	if b, err := os.ReadFile(filepath.Join(modDir, "modules.builtin")); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" {
				builtin[normModName(l)] = true
			}
		}
	}

	var order []*kmod
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name, from string) error
	visit = func(name, from string) error {
		name = normModName(name)
		if builtin[name] || state[name] == 2 {
			return nil
		}
		if state[name] == 1 {
			return fmt.Errorf("module dependency cycle at %s", name)
		}
		p, ok := index[name]
		if !ok {
			if from != "" {
				return fmt.Errorf("module %s (needed by %s) not found under %s", name, from, modDir)
			}
			return fmt.Errorf("module %s not found under %s", name, modDir)
		}
		state[name] = 1
		data, err := readModule(p)
		if err != nil {
			return err
		}
		deps, err := moduleDepends(data)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, d := range deps {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, &kmod{name: name, path: p, data: data})
		return nil
	}
	for _, r := range roots {
		if err := visit(r, ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// readModule returns the uncompressed content of a module file.
func readModule(p string) ([]byte, error) {
	switch {
	case strings.HasSuffix(p, ".ko"):
		return os.ReadFile(p)
	case strings.HasSuffix(p, ".ko.gz"):
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		return io.ReadAll(zr)
	case strings.HasSuffix(p, ".ko.xz"):
		if err := ensureCommand("xz", "xz-utils"); err != nil {
			return nil, err
		}
		return exec.Command("xz", "-dc", p).Output()
	case strings.HasSuffix(p, ".ko.zst"):
		if err := ensureCommand("zstd", "zstd"); err != nil {
			return nil, err
		}
		return exec.Command("zstd", "-dcq", p).Output()
	}
	return nil, fmt.Errorf("%s: unknown module compression", p)
}

// moduleDepends reads the "depends=" entry of a module's .modinfo section.
func moduleDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	sec := f.Section(".modinfo")
	if sec == nil {
		return nil, fmt.Errorf("no .modinfo section")
	}
	b, err := sec.Data()
	if err != nil {
		return nil, err
	}
	var deps []string
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			for _, d := range strings.Split(string(v), ",") {
				if d = strings.TrimSpace(d); d != "" {
					deps = append(deps, d)
				}
			}
		}
	}
	return deps, nil
}
