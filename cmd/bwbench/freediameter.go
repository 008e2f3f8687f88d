package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"breakwater/internal/fdconf"
)

// startFreeDiameter runs freeDiameterd as a relay agent between the load
// generator and the responder, configured as internal/interop runs it
// (internal/fdconf) but without message dumps and with the watchdog it
// would have in service.
func startFreeDiameter(dir, bin string, port, hssPort int) (*proc, error) {
	// The load generator's peers are r<run>c<conn>-mme.<partner realm>.
	conf, err := fdconf.Relay{Identity: "dea.epc.mnc260.mcc310.3gppnetwork.org", Realm: "epc.mnc260.mcc310.3gppnetwork.org",
		Port: port, HSS: homeID.Host, HSSPort: hssPort, Partners: "*." + partnerID.Realm, Watchdog: 30}.Write(dir)
	if err != nil {
		return nil, err
	}
	p, err := start(dir, "freediameter", bin, "-c", conf)
	if err != nil {
		return nil, err
	}
	// A request that arrives before the responder's connection is open has
	// no route; 1.2.1 then treats it as its own, and stops on the error.
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(p.log)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "-> 'STATE_OPEN'") && strings.Contains(l, homeID.Host) {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("freeDiameter did not open its connection to the responder in 20s (log %s)", p.log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
