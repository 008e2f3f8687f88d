package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/metrics"
	"syscall"

	"breakwater/firewall/transport"
	"breakwater/internal/cpuprofile"
	"breakwater/internal/diampeer"
)

// homeID is the responder's identity: the home HSS.
var homeID = diampeer.Identity{Host: "hss.epc.mnc260.mcc310.3gppnetwork.org", Realm: "epc.mnc260.mcc310.3gppnetwork.org"}

// responderMain runs the home-side responder: it answers every request at
// once (Result-Code 2001) and CER with its capabilities.
func responderMain(args []string) error {
	fs := flag.NewFlagSet("responder", flag.ExitOnError)
	listen := fs.String("listen", "tcp://127.0.0.1:3869", "transport URL to listen on")
	stats := fs.String("stats", "", "serve /alloc on this host:port")
	fs.Parse(args)
	srv, err := diampeer.Listen(*listen, homeID)
	if err != nil {
		return err
	}
	srv.Record.Store(false) // answer, keep nothing
	defer srv.Close()
	return serveUntilSignal(*stats)
}

// relayMain runs the do-nothing relay: per accepted connection one
// upstream connection, and every message copied across unread, with the
// transport code Breakwater's relays use.
func relayMain(args []string) error {
	fs := flag.NewFlagSet("relay", flag.ExitOnError)
	listen := fs.String("listen", "tcp://127.0.0.1:3870", "transport URL to listen on")
	upstream := fs.String("upstream", "tcp://127.0.0.1:3869", "transport URL to relay to")
	stats := fs.String("stats", "", "serve /alloc on this host:port")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile to this file until the relay stops")
	fs.Parse(args)
	stopProfile, err := cpuprofile.Start(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	la, err := transport.ParseAddress(*listen)
	if err != nil {
		return err
	}
	ua, err := transport.ParseAddress(*upstream)
	if err != nil {
		return err
	}
	ln, err := transport.Listen(la, diampeer.Options())
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go relayPair(c, ua)
		}
	}()
	return serveUntilSignal(*stats)
}

func relayPair(c transport.Conn, ua transport.Address) {
	defer c.Close()
	u, err := transport.Dial(context.Background(), ua, diampeer.Options())
	if err != nil {
		return
	}
	defer u.Close()
	go copyMessages(u, c)
	copyMessages(c, u)
}

// copyMessages moves messages from src to dst until either fails.
func copyMessages(src, dst transport.Conn) {
	buf := make([]byte, 0, 1<<16)
	for {
		m, err := src.ReadMessage(buf)
		if err != nil {
			dst.Close()
			return
		}
		if err := dst.WriteMessage(m); err != nil {
			src.Close()
			return
		}
	}
}

// serveUntilSignal serves the allocation counter on addr (if set) and
// returns on SIGTERM or SIGINT.
func serveUntilSignal(addr string) error {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		mux := http.NewServeMux()
		mux.HandleFunc("/alloc", func(w http.ResponseWriter, _ *http.Request) {
			b, n := allocs()
			fmt.Fprintln(w, b, n)
		})
		srv := &http.Server{Handler: mux}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				fmt.Fprintln(os.Stderr, "bwbench: stats:", err)
			}
		}()
		defer srv.Close()
	}
	fmt.Println("ready")
	<-sig
	return nil
}

// allocs is the bytes and objects allocated by the process so far (the
// counters behind Prometheus's go_memstats_alloc_bytes_total and
// go_memstats_mallocs_total).
func allocs() (bytes, objects uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0, 0
	}
	return s[0].Value.Uint64(), s[1].Value.Uint64()
}
