// Package fuzzcorpus reads and writes the seed files of Go fuzz corpora
// (testdata/fuzz/FuzzX/NAME, format "go test fuzz v1" with one []byte
// value) for the parsers' tests, which check the committed seeds and use
// them as test inputs.
package fuzzcorpus

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Format encodes b as a corpus file.
func Format(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}

// Parse decodes a corpus file holding one []byte value.
func Parse(data []byte) ([]byte, error) {
	s, ok := strings.CutPrefix(string(data), "go test fuzz v1\n")
	if !ok {
		return nil, errors.New("not a go test fuzz v1 file")
	}
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[]byte(") || !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("not one []byte value: %.40q", s)
	}
	v, err := strconv.Unquote(s[len("[]byte(") : len(s)-1])
	return []byte(v), err
}

// Read reads the seed in the corpus file at path, failing t if it cannot.
func Read(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// Load reads every seed in dir, by file name; a missing or empty corpus
// fails t.
func Load(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seeds in %s: %v", dir, err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		out[filepath.Base(f)] = Read(t, f)
	}
	return out
}
