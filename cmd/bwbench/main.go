// Command bwbench is Breakwater's benchmark harness (make bench): it
// measures what putting Breakwater inline costs, by driving the same
// Diameter S6a load through four set-ups in one invocation, interleaved so
// that machine noise hits them all alike:
//
//	direct        load generator → responder
//	relay         load generator → do-nothing relay → responder
//	breakwater    load generator → breakwater run (baseline rules) → responder
//	freediameter  load generator → freeDiameterd (relay agent) → responder
//
// The do-nothing relay uses Breakwater's own transport code (framing,
// sockets) and nothing else: the floor any Diameter proxy pays. The
// responder answers every request at once. Every node runs in its own
// process, so the harness can charge each its CPU time (/proc) and, for the
// Go ones, its allocations.
//
//	bwbench [-duration 3s] [-rounds 3] [-conns 4] [-loads 0.25,0.5,0.75] [-out bench-results]
//
// prints a table, and writes results.json and results.png (throughput and
// latency against offered load) into -out. Two helper modes are what the
// harness runs as child processes:
//
//	bwbench responder -listen URL [-stats ADDR]
//	bwbench relay -listen URL -upstream URL [-stats ADDR]
package main

import (
	"fmt"
	"os"
)

func main() {
	args := os.Args[1:]
	mode := "run"
	if len(args) > 0 && (args[0] == "responder" || args[0] == "relay" || args[0] == "run") {
		mode, args = args[0], args[1:]
	}
	var err error
	switch mode {
	case "responder":
		err = responderMain(args)
	case "relay":
		err = relayMain(args)
	default:
		err = runMain(args)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bwbench:", err)
		os.Exit(1)
	}
}
