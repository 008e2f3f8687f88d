// Package cpuprofile starts the CPU profile the commands write with
// -cpuprofile (breakwater run, the benchmark harness's relay).
package cpuprofile

import (
	"os"
	"runtime/pprof"
)

// Start writes a CPU profile to path until the returned stop is called.
// An empty path profiles nothing; stop is then a no-op.
func Start(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
