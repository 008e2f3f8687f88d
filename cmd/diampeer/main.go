// Command diampeer is a lab Diameter peer for trying Breakwater inline: it
// plays the home HSS (answers everything) or a roaming partner's MME/HSS
// (sends S6a requests and prints the answers).
//
//	diampeer hss -listen tcp://127.0.0.1:3869
//	diampeer partner -connect tcp://127.0.0.1:3868 -from 127.0.0.2 -send cer,ulr,idr,dwr
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"breakwater/internal/diampeer"
	"breakwater/internal/loadgen"
	"breakwater/protocols/diameter"
	"breakwater/protocols/view"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "hss":
		err = hss(os.Args[2:])
	case "partner":
		err = partner(os.Args[2:])
	case "load":
		err = load(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "diampeer:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  diampeer hss -listen URL [-host H -realm R]        play the home HSS: answer every request
  diampeer partner -connect URL [-from IP] [-send LIST] [-imsi IMSI] [-plmn MCCMNC]
                                                      play a partner MME: send requests, print answers
  diampeer load -connect URL [-from IP] [-conns N] [-window W] [-rate R] [-duration D]
                                                      AIR load, closed-loop or at -rate/s: answers/s and latency percentiles
LIST is a comma-separated sequence of cer, ulr, air, pur, idr, clr, dwr, dpr.`)
	os.Exit(2)
}

func hss(args []string) error {
	fs := flag.NewFlagSet("hss", flag.ExitOnError)
	listen := fs.String("listen", "tcp://127.0.0.1:3869", "transport URL to listen on")
	host := fs.String("host", "hss.epc.mnc260.mcc310.3gppnetwork.org", "Origin-Host")
	realm := fs.String("realm", "epc.mnc260.mcc310.3gppnetwork.org", "Origin-Realm")
	quiet := fs.Bool("quiet", false, "do not keep or print received messages (for load runs)")
	fs.Parse(args)
	s, err := diampeer.Listen(*listen, diampeer.Identity{Host: *host, Realm: *realm})
	if err != nil {
		return err
	}
	s.Record.Store(!*quiet)
	fmt.Printf("home HSS %s listening on %s (answers every request with 2001)\n", *host, s.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	seen := 0
	for {
		select {
		case <-ctx.Done():
			return s.Close()
		case <-time.After(100 * time.Millisecond):
		}
		rcv := s.Received()
		for _, r := range rcv[seen:] {
			var v view.Message
			diameter.Decode(r.Raw, &v)
			fmt.Printf("received %-4s from %s  imsi=%s\n", v.Op, r.From, v.IMSI.String())
		}
		seen = len(rcv)
	}
}

func partner(args []string) error {
	fs := flag.NewFlagSet("partner", flag.ExitOnError)
	connect := fs.String("connect", "tcp://127.0.0.1:3868", "Breakwater's listen URL")
	from := fs.String("from", "", "local source address (the partner's signaling IP)")
	send := fs.String("send", "cer,ulr,idr,dwr", "requests to send, in order")
	imsi := fs.String("imsi", "310260000000001", "subscriber IMSI")
	plmn := fs.String("plmn", "23415", "visited PLMN (MCC+MNC) for ULR/AIR")
	host := fs.String("host", "mme.epc.mnc015.mcc234.3gppnetwork.org", "Origin-Host")
	realm := fs.String("realm", "epc.mnc015.mcc234.3gppnetwork.org", "Origin-Realm")
	dest := fs.String("dest-realm", "epc.mnc260.mcc310.3gppnetwork.org", "Destination-Realm")
	fs.Parse(args)
	var local []string
	if *from != "" {
		local = append(local, *from)
	}
	c, err := diampeer.Dial(context.Background(), *connect, diampeer.Identity{Host: *host, Realm: *realm}, local...)
	if err != nil {
		return err
	}
	defer c.Close()
	var b diameter.Builder
	codes := map[string]uint32{"ulr": diameter.CmdUpdateLocation, "air": diameter.CmdAuthenticationInfo,
		"pur": diameter.CmdPurgeUE, "idr": diameter.CmdInsertSubscriberData, "clr": diameter.CmdCancelLocation}
	for _, op := range strings.Split(*send, ",") {
		var req []byte
		switch op = strings.TrimSpace(op); op {
		case "cer":
			req = c.CER(&b, diameter.AppS6aS6d)
		case "dwr":
			req = c.DWR(&b)
		case "dpr":
			hbh := c.NextHopByHop()
			req = b.DisconnectPeer(hbh, hbh, *host, *realm)
		default:
			code, ok := codes[op]
			if !ok {
				return fmt.Errorf("unknown request %q", op)
			}
			p := ""
			if op == "ulr" || op == "air" {
				p = *plmn
			}
			req = c.S6a(&b, code, *imsi, *dest, p)
		}
		ans, err := c.Do(req, 0, 5*time.Second)
		if err != nil {
			fmt.Printf("%-4s -> no answer (%v)\n", strings.ToUpper(op), err)
			continue
		}
		var v view.Message
		diameter.Decode(ans, &v)
		fmt.Printf("%-4s -> %s result %d from %s\n", strings.ToUpper(op), v.Op, v.ResultCode, v.OriginHost)
	}
	return nil
}

func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	connect := fs.String("connect", "tcp://127.0.0.1:3868", "target URL (Breakwater or the server directly)")
	from := fs.String("from", "", "local source address")
	conns := fs.Int("conns", 4, "connections")
	window := fs.Int("window", 1, "requests outstanding per connection")
	rate := fs.Float64("rate", 0, "requests per second over all connections (0: as fast as answers come)")
	duration := fs.Duration("duration", 5*time.Second, "how long to run")
	fs.Parse(args)
	res, err := loadgen.Run(context.Background(), loadgen.Options{
		Target: *connect, From: *from, Conns: *conns, Window: *window, Rate: *rate, Duration: *duration,
		Warmup: min(*duration/10, time.Second),
		Mix: []loadgen.Request{{Name: "AIR", Weight: 1, Build: func(c *diampeer.Client, b *diameter.Builder) []byte {
			return c.S6a(b, diameter.CmdAuthenticationInfo, "310260000000001", "epc.mnc260.mcc310.3gppnetwork.org", "23415")
		}}},
	})
	if err != nil {
		return err
	}
	fmt.Println(res)
	return nil
}
