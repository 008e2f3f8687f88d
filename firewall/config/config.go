// Package config reads Breakwater's YAML configuration: who the home network
// is, who the interconnect partners are, and how the engine behaves. Every
// problem is reported as "file:line:col: what is wrong" and a configuration is
// either fully valid or rejected.
package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"breakwater/internal/strictyaml"
)

// Config is one validated configuration file.
type Config struct {
	// Path is the file the configuration was read from.
	Path string `yaml:"-"`

	Home     Network   `yaml:"home,required"`
	Partners []Partner `yaml:"partners"`
	// Rules is the rule file (relative paths are relative to this file);
	// empty means the built-in GSMA baseline alone.
	Rules    string   `yaml:"rules"`
	Velocity Velocity `yaml:"velocity"`
	Privacy  Privacy  `yaml:"privacy"`
	Limits   Limits   `yaml:"limits"`
}

// Network describes the signaling identity of one operator network.
type Network struct {
	// PLMNs (MCC+MNC) whose IMSIs are this network's subscribers.
	PLMNs []PLMN `yaml:"plmns"`
	// Realms are the network's Diameter realms.
	Realms []Realm `yaml:"realms"`
	// GTPrefixes are E.164 prefixes of the network's SS7 nodes.
	GTPrefixes []GTPrefix `yaml:"gt_prefixes"`
	// Addresses are the IP prefixes its signaling nodes send from.
	Addresses []Prefix `yaml:"addresses"`
}

// Partner is one roaming or interconnect partner.
type Partner struct {
	Name    Name `yaml:"name,required"`
	Network `yaml:",inline"`
}

// Velocity tunes the Cat 3 location-plausibility ("impossible travel") check.
type Velocity struct {
	// MaxSpeedKmh is the fastest a subscriber is assumed to travel.
	MaxSpeedKmh float64 `yaml:"max_speed_kmh" min:"1" max:"100000"`
	// LocationTTL is how long a learned location stays known.
	LocationTTL time.Duration `yaml:"location_ttl" min:"1m" max:"8760h"`
	// MaxSubscribers bounds the location table; the oldest entries go first.
	MaxSubscribers int `yaml:"max_subscribers" min:"1" max:"100000000"`
	// AnswerTimeout is how long a request waits for the answer that
	// confirms a location update.
	AnswerTimeout time.Duration `yaml:"answer_timeout" min:"100ms" max:"10m"`
}

// Privacy controls how subscriber identities appear in output.
type Privacy struct {
	// PseudonymKeyFile holds the secret key of the keyed hash that
	// pseudonymises IMSIs and MSISDNs. Without it a random key is drawn at
	// start-up, so pseudonyms are stable only within one run.
	PseudonymKeyFile string `yaml:"pseudonym_key_file"`
}

// Limits bound resource use.
type Limits struct {
	// MaxMessageBytes is the largest signaling message accepted.
	MaxMessageBytes int `yaml:"max_message_bytes" min:"64" max:"16777215"`
}

// Defaults.
const (
	DefaultMaxSpeedKmh     = 1000
	DefaultLocationTTL     = 30 * 24 * time.Hour
	DefaultMaxSubscribers  = 1 << 20
	DefaultAnswerTimeout   = 30 * time.Second
	DefaultMaxMessageBytes = 1 << 16
)

// Load reads and validates a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(path, data)
}

// Parse validates configuration bytes; path is used in messages and to
// resolve relative file names.
func Parse(path string, data []byte) (*Config, error) {
	c := &Config{}
	if err := strictyaml.Decode(path, data, c); err != nil {
		return nil, err
	}
	c.Path = path
	c.applyDefaults()
	if errs := c.validate(); len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

func (c *Config) applyDefaults() {
	if c.Velocity.MaxSpeedKmh == 0 {
		c.Velocity.MaxSpeedKmh = DefaultMaxSpeedKmh
	}
	if c.Velocity.LocationTTL == 0 {
		c.Velocity.LocationTTL = DefaultLocationTTL
	}
	if c.Velocity.MaxSubscribers == 0 {
		c.Velocity.MaxSubscribers = DefaultMaxSubscribers
	}
	if c.Velocity.AnswerTimeout == 0 {
		c.Velocity.AnswerTimeout = DefaultAnswerTimeout
	}
	if c.Limits.MaxMessageBytes == 0 {
		c.Limits.MaxMessageBytes = DefaultMaxMessageBytes
	}
}

// RulesPath returns the rule file path resolved against the configuration
// file's directory, or "" when none is configured.
func (c *Config) RulesPath() string { return c.resolve(c.Rules) }

// PseudonymKeyPath returns the resolved pseudonym key file, or "".
func (c *Config) PseudonymKeyPath() string { return c.resolve(c.Privacy.PseudonymKeyFile) }

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}
