package gsmmap

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestNamesAgainstTshark compares the operation and error names with
// Wireshark's (tshark -G values: gsm_old.localValue lists the
// GSMMAPOperationLocalvalue table, then GSMMAPLocalErrorcode). The only
// differences are where this package follows the TS 29.002 ASN.1 value
// names and Wireshark does not.
func TestNamesAgainstTshark(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Skip("tshark not installed")
	}
	out, err := exec.Command(tshark, "-G", "values").Output()
	if err != nil {
		t.Fatal(err)
	}
	renamed := map[int64]string{ // Wireshark's spelling
		32: "sIWFSSignallingModify", 38: "forwardCheckSS", 44: "mt-forwardSM", 46: "mo-forwardSM",
	}
	ops, errs := map[int64]string{}, map[int64]string{}
	table, last := ops, int64(-1)
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 || f[0] != "V" || f[1] != "gsm_old.localValue" {
			continue
		}
		code, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || strings.HasPrefix(f[3], "gsm_old_") {
			continue // a table-name artifact of tshark's dump
		}
		if code < last {
			table = errs // the error codes start again from 1
		}
		last = code
		if f[3] != "unAllocated" {
			table[code] = f[3]
		}
	}
	if len(ops) < 100 || len(errs) < 60 {
		t.Fatalf("read %d operations and %d errors from tshark", len(ops), len(errs))
	}
	for code, name := range ops {
		want := name
		if r, ok := renamed[code]; ok && r == name {
			want = OpName(code) // documented difference
		}
		if OpName(code) != want {
			t.Errorf("operation %d: %q, tshark %q", code, OpName(code), name)
		}
	}
	for code := range int64(len(opNames)) {
		if OpName(code) != "" && ops[code] == "" {
			t.Errorf("operation %d %q unknown to tshark", code, OpName(code))
		}
	}
	for code, name := range errs {
		if ErrorName(code) != name {
			t.Errorf("error %d: %q, tshark %q", code, ErrorName(code), name)
		}
	}
	for code := range int64(len(errorNames)) {
		if ErrorName(code) != "" && errs[code] == "" {
			t.Errorf("error %d %q unknown to tshark", code, ErrorName(code))
		}
	}
}
