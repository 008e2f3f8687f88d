package main

import (
	"breakwater/protocols/diameter/dictionary"

	"github.com/fiorix/go-diameter/v4/diam/dict"
)

// loadExtra adds Breakwater's dictionaries to p.
func loadExtra(p *dict.Parser) error { return dictionary.Load(p) }
