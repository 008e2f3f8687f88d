// Package config reads Breakwater's YAML configuration: who the home network
// is, who the interconnect partners are, and how the engine behaves. Every
// problem is reported as "file:line:col: what is wrong" and a configuration is
// either fully valid or rejected.
package config

import (
	"crypto/sha256"
	"encoding/hex"
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
	// Digest identifies the file's content (12 hex digits of its SHA-256).
	Digest string `yaml:"-"`

	Home     Network   `yaml:"home,required"`
	Partners []Partner `yaml:"partners"`
	// Rules is the rule file (relative paths are relative to this file);
	// empty means the built-in GSMA baseline alone.
	Rules    string   `yaml:"rules"`
	Velocity Velocity `yaml:"velocity"`
	GTPState GTPState `yaml:"gtp_state"`
	Privacy  Privacy  `yaml:"privacy"`
	Limits   Limits   `yaml:"limits"`
	// Diameter lists the inline Diameter relays `breakwater run` starts.
	Diameter []DiameterRelay `yaml:"diameter"`
	// GTP lists the inline GTP-C relays.
	GTP []GTPRelay `yaml:"gtp"`
	// M3UA lists the inline M3UA (SS7 over SIGTRAN) relays.
	M3UA []M3UARelay `yaml:"m3ua"`
	// Admin is the operations endpoint (/healthz, /metrics).
	Admin Admin `yaml:"admin"`
	// XDP is the eBPF/XDP pre-filter on the interconnect interfaces.
	XDP XDP `yaml:"xdp"`
	// Quarantine isolates partners, by hand or automatically.
	Quarantine Quarantine `yaml:"quarantine"`
	// Audit is the audit log of judged messages.
	Audit Audit `yaml:"audit"`
	// State is where the firewall's memory lives: in this process
	// (optionally snapshotted to a file) or shared with other nodes
	// through Redis.
	State State `yaml:"state"`
	// ShutdownTimeout bounds a graceful stop: draining in-flight
	// requests and disconnecting peers.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" min:"100ms" max:"10m"`
}

// DiameterRelay is one inline Diameter relay: peers connect to Listen, and
// each connection is paired with its own connection to Upstream.
type DiameterRelay struct {
	Name Name `yaml:"name,required"`
	// Listen is where peers (usually interconnect partners) connect.
	Listen Endpoint `yaml:"listen,required"`
	// Upstream is the peer on the other side (usually the home DEA/HSS).
	Upstream Endpoint `yaml:"upstream,required"`
	// UpstreamSource binds the upstream connection to these local
	// addresses (several for a multi-homed SCTP association).
	UpstreamSource Endpoint `yaml:"upstream_source"`
	// Streams is the number of SCTP streams offered in each direction.
	Streams int `yaml:"streams" min:"1" max:"1024"`
	// ConnectTimeout bounds one upstream connection attempt.
	ConnectTimeout time.Duration `yaml:"connect_timeout" min:"100ms" max:"1m"`
	// WriteTimeout disconnects a peer that does not take a message for
	// this long (a slow or stuck reader).
	WriteTimeout time.Duration `yaml:"write_timeout" min:"100ms" max:"10m"`
	// RejectResultCode answers rejected requests whose rule names none.
	RejectResultCode uint32 `yaml:"reject_result_code" min:"1000" max:"5999"`
	// OriginHost and OriginRealm sign answers Breakwater gives in the home
	// side's name before the home peer has introduced itself (CEA).
	OriginHost  string `yaml:"origin_host"`
	OriginRealm string `yaml:"origin_realm"`
}

// GTPRelay is one inline GTP-C relay (S8/Gp over UDP). Breakwater stands
// between the partners' SGWs/SGSNs and the home PGWs/GGSNs as a GTP-C
// proxy: it renumbers requests and announces its own address as the
// control-plane endpoint on each side, so that every later message of a
// session, in both directions, passes through it.
type GTPRelay struct {
	Name Name `yaml:"name,required"`
	// Listen is where partners send GTP-C: Breakwater's partner-facing
	// address (port 2123), announced to partners as the home side's
	// control-plane endpoint.
	Listen Endpoint `yaml:"listen,required"`
	// Upstream is the home PGW/GGSN (port 2123).
	Upstream Endpoint `yaml:"upstream,required"`
	// UpstreamSource is Breakwater's home-facing address (port 2123),
	// announced to home nodes as the partners' endpoint; by default the
	// listen address serves both sides.
	UpstreamSource Endpoint `yaml:"upstream_source"`
	// RejectCauseV2 and RejectCauseV1 answer rejected requests whose
	// rule names no cause.
	RejectCauseV2 uint8 `yaml:"reject_cause_v2" min:"64"`
	RejectCauseV1 uint8 `yaml:"reject_cause_v1" min:"192"`
	// RequestTimeout is how long a relayed request waits for its response.
	RequestTimeout time.Duration `yaml:"request_timeout" min:"100ms" max:"10m"`
}

// M3UARelay is one inline M3UA relay (SS7 MAP over SIGTRAN): partner
// ASPs or SGs connect to Listen, and each association is paired with its
// own association to Upstream (the home STP/SG). ASP state management,
// SSNM, MGMT and RKM messages pass through unchanged; every DATA message
// is judged.
type M3UARelay struct {
	Name Name `yaml:"name,required"`
	// Listen is where partners associate (sctp://, port 2905 usually;
	// tcp:// frames M3UA by its length field, for labs only).
	Listen Endpoint `yaml:"listen,required"`
	// Upstream is the home STP/SG.
	Upstream Endpoint `yaml:"upstream,required"`
	// UpstreamSource binds the upstream association to these local
	// addresses (several for a multi-homed SCTP association).
	UpstreamSource Endpoint `yaml:"upstream_source"`
	// Streams is the number of SCTP streams offered in each direction.
	Streams int `yaml:"streams" min:"1" max:"1024"`
	// ConnectTimeout bounds the upstream association attempt made for
	// each accepted partner association.
	ConnectTimeout time.Duration `yaml:"connect_timeout" min:"100ms" max:"1m"`
	// WriteTimeout closes a pair whose side does not take a message for
	// this long.
	WriteTimeout time.Duration `yaml:"write_timeout" min:"100ms" max:"10m"`
	// RejectWith is how a request a rule rejects is answered.
	RejectWith RejectMode `yaml:"reject_with"`
	// RejectErrorCode is the MAP error code of return-error answers whose
	// rule names none (21 facilityNotSupported).
	RejectErrorCode uint8 `yaml:"reject_error_code" min:"1" max:"255"`
	// UDTSCause is the SCCP return cause of udts answers (0: no
	// translation for an address of such nature).
	UDTSCause uint8 `yaml:"udts_cause" max:"14"`
}

// Admin configures the operations HTTP endpoint.
type Admin struct {
	// Listen is host:port (default 127.0.0.1:9090); "off" disables the
	// endpoint. Use Enabled.
	Listen HostPort `yaml:"listen"`
	// TokenFile holds the bearer token the admin API (/api/v1/...)
	// requires; mandatory when Listen is not a loopback address.
	TokenFile string `yaml:"token_file"`
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
	// InterPLMNMobility allows the inter-PLMN handover messages (GTP
	// Forward Relocation) from this partner, under a mobility agreement.
	InterPLMNMobility bool `yaml:"inter_plmn_mobility"`
	// RateLimit bounds what each of the partner's source addresses may
	// send to the signaling ports.
	RateLimit RateLimit `yaml:"rate_limit"`
}

// RateLimit is a token bucket per source address: PacketsPerSecond
// sustained, bursts of Burst (default: one second's worth). Zero
// PacketsPerSecond: unlimited. The XDP pre-filter counts packets; without
// it the relays count messages, throttle stream connections (SCTP, TCP:
// reading pauses, so the sender's transport backs off) and drop GTP-C
// datagrams over the limit.
type RateLimit struct {
	PacketsPerSecond uint32 `yaml:"packets_per_second" max:"100000000"`
	Burst            uint32 `yaml:"burst" max:"100000000"`
}

// XDP configures the eBPF/XDP pre-filter (package bpf): attached to the
// interconnect-facing interfaces, it drops packets to the signaling ports
// from unknown sources, everything from quarantined partners, floods over
// a partner's rate_limit and the GTP-C message types that never cross the
// interconnect, before they reach user space. Without it (mode off, no
// interfaces, or no BPF support) the same checks run in user space.
type XDP struct {
	// Interfaces are the network interfaces partners' traffic arrives on.
	Interfaces []IfName `yaml:"interfaces"`
	// Mode is native (driver mode, falling back to generic where the
	// driver has no XDP support), generic, or off. Default native.
	Mode XDPMode `yaml:"mode"`
	// SampleDrops logs one dropped packet in SampleDrops (0: none).
	SampleDrops uint32 `yaml:"sample_drops" max:"1000000000"`
}

// Quarantine configures partner isolation. A quarantined partner's
// traffic is dropped (in XDP when attached) and its associations closed.
type Quarantine struct {
	// StateFile keeps the quarantined partners across restarts.
	StateFile string `yaml:"state_file"`
	// Threshold blocked category 1/2 probes from one partner within
	// Window quarantine it for Duration (0: no automatic quarantine).
	Threshold int           `yaml:"threshold" max:"1000000"`
	Window    time.Duration `yaml:"window" min:"1s" max:"24h"`
	Duration  time.Duration `yaml:"duration" min:"1s" max:"8760h"`
}

// Audit configures the audit log: one JSON line per blocked message (or
// per message), subscriber identities pseudonymised with the keyed hash
// of privacy.pseudonym_key_file unless ClearIdentities.
type Audit struct {
	// Path is the log file; empty disables the audit log.
	Path string `yaml:"path"`
	// All writes every judged message, not only blocked ones.
	All bool `yaml:"all"`
	// ClearIdentities writes IMSI and MSISDN in clear instead of
	// pseudonyms. Off by default: the log must not become a new place
	// where call metadata leaks.
	ClearIdentities bool `yaml:"clear_identities"`
	// MaxBytes rotates the file at this size, keeping Keep old files.
	MaxBytes int64 `yaml:"max_bytes" min:"4096" max:"1099511627776"`
	Keep     int   `yaml:"keep" min:"1" max:"1000"`
	// Queue bounds the records waiting to be written; when full, records
	// are counted as dropped rather than slowing the message path.
	Queue int `yaml:"queue" min:"16" max:"16777216"`
}

// State chooses the state backend.
type State struct {
	// Backend is memory (the default: this node alone) or redis (shared
	// by every node configured with the same Redis and key prefix).
	Backend StateBackend `yaml:"backend"`
	// SnapshotFile keeps subscriber locations and GTP sessions across a
	// restart: written every SnapshotEvery and at shutdown, read at
	// start-up. Empty: none. Either backend may use it.
	SnapshotFile  string        `yaml:"snapshot_file"`
	SnapshotEvery time.Duration `yaml:"snapshot_every" min:"1s" max:"24h"`
	Redis         Redis         `yaml:"redis"`
}

// Redis locates the shared state.
type Redis struct {
	// Addrs lists host:port addresses: one for a single server, several
	// for a Redis Cluster, or the sentinels when SentinelMaster is set.
	Addrs []HostPort `yaml:"addrs"`
	// SentinelMaster is the master name the sentinels in Addrs watch.
	SentinelMaster string `yaml:"sentinel_master"`
	// Username and PasswordFile authenticate (ACL user; the password is
	// the file's first line).
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	// DB selects the database (single server and sentinel only).
	DB int `yaml:"db" min:"0" max:"15"`
	// KeyPrefix separates firewall clusters sharing one Redis.
	KeyPrefix string `yaml:"key_prefix"`
	// Node names this node to the others (default: the host name).
	Node string `yaml:"node"`
	// Timeout bounds every Redis command (they never run on the
	// message path).
	Timeout time.Duration `yaml:"timeout" min:"10ms" max:"1m"`
	// Queue bounds the state changes waiting to be written; when Redis
	// is slow or down, the oldest are dropped (and counted).
	Queue int `yaml:"queue" min:"64" max:"16777216"`
	// TLS protects the connections to Redis (state crosses sites).
	TLS RedisTLS `yaml:"tls"`
}

// RedisTLS is state.redis.tls: TLS is used when CAFile is set.
type RedisTLS struct {
	// CAFile holds the PEM certificates Redis's certificate must chain to.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile, both or neither: this node's client
	// certificate, for a Redis with tls-auth-clients yes.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ServerName is the name Redis's certificate must carry (default:
	// the host of each address).
	ServerName string `yaml:"server_name"`
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

// GTPState tunes the stateful GTP-C checks.
type GTPState struct {
	// SessionTTL is how long a GTP session (a home TEID a partner created)
	// is remembered without traffic.
	SessionTTL time.Duration `yaml:"session_ttl" min:"1m" max:"8760h"`
	// MaxSessions bounds the session table.
	MaxSessions int `yaml:"max_sessions" min:"1" max:"100000000"`
	// RetransmitWindow: a request repeating an earlier sequence number
	// within this time is a retransmission; later, a replay.
	RetransmitWindow time.Duration `yaml:"retransmit_window" min:"1s" max:"10m"`
	// ReplayMemory is how long sequence numbers are remembered; keep it
	// below the time a peer takes to wrap its sequence numbers (GTPv1 has
	// 65536 of them).
	ReplayMemory time.Duration `yaml:"replay_memory" min:"1s" max:"1h"`
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
	// ReadTimeout disconnects a Diameter or M3UA peer that has not sent
	// its first message (CER, ASP Up) this long after the relay started
	// reading it (at once for Diameter, once the upstream association is
	// up for M3UA), or that takes longer than this to send any later
	// message once it has begun (half-open connections, slowloris). Quiet
	// time between messages is not limited.
	ReadTimeout time.Duration `yaml:"read_timeout" min:"100ms" max:"10m"`
	// MaxConnections bounds the partner connections (associations) each
	// Diameter or M3UA relay serves at once, MaxConnectionsPerSource those
	// from one source address; more are refused at accept.
	MaxConnections          int `yaml:"max_connections" min:"1" max:"1000000"`
	MaxConnectionsPerSource int `yaml:"max_connections_per_source" min:"1" max:"1000000"`
}

// Defaults.
const (
	DefaultMaxSpeedKmh     = 1000
	DefaultLocationTTL     = 30 * 24 * time.Hour
	DefaultMaxSubscribers  = 1 << 20
	DefaultAnswerTimeout   = 30 * time.Second
	DefaultMaxMessageBytes = 1 << 16
	DefaultReadTimeout     = 10 * time.Second
	DefaultMaxConnections  = 1024
	DefaultMaxPerSource    = 64
	DefaultShutdownTimeout = 10 * time.Second
	DefaultSessionTTL      = 7 * 24 * time.Hour
	DefaultMaxSessions     = 1 << 20
	DefaultRetransmitWin   = 20 * time.Second
	DefaultReplayMemory    = 60 * time.Second
	DefaultStreams         = 16
	DefaultConnectTimeout  = 5 * time.Second
	DefaultWriteTimeout    = 10 * time.Second
	DefaultRejectResult    = 5012 // DIAMETER_UNABLE_TO_COMPLY
	DefaultRejectErrorCode = 21   // MAP facilityNotSupported
	DefaultSnapshotEvery   = time.Minute
	DefaultRedisKeyPrefix  = "breakwater:"
	DefaultRedisTimeout    = 500 * time.Millisecond
	DefaultRedisQueue      = 1 << 16
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
	sum := sha256.Sum256(data)
	c.Digest = hex.EncodeToString(sum[:6])
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
	if c.Limits.ReadTimeout == 0 {
		c.Limits.ReadTimeout = DefaultReadTimeout
	}
	if c.Limits.MaxConnections == 0 {
		c.Limits.MaxConnections = DefaultMaxConnections
	}
	if c.Limits.MaxConnectionsPerSource == 0 {
		c.Limits.MaxConnectionsPerSource = DefaultMaxPerSource
	}
	if c.State.Backend.Value == "" {
		c.State.Backend.Value = StateMemory
	}
	if c.State.SnapshotEvery == 0 {
		c.State.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.State.Redis.KeyPrefix == "" {
		c.State.Redis.KeyPrefix = DefaultRedisKeyPrefix
	}
	if c.State.Redis.Timeout == 0 {
		c.State.Redis.Timeout = DefaultRedisTimeout
	}
	if c.State.Redis.Queue == 0 {
		c.State.Redis.Queue = DefaultRedisQueue
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.GTPState.SessionTTL == 0 {
		c.GTPState.SessionTTL = DefaultSessionTTL
	}
	if c.GTPState.MaxSessions == 0 {
		c.GTPState.MaxSessions = DefaultMaxSessions
	}
	if c.GTPState.RetransmitWindow == 0 {
		c.GTPState.RetransmitWindow = DefaultRetransmitWin
	}
	if c.GTPState.ReplayMemory == 0 {
		c.GTPState.ReplayMemory = DefaultReplayMemory
	}
	for i := range c.Partners {
		if r := &c.Partners[i].RateLimit; r.Burst == 0 {
			r.Burst = r.PacketsPerSecond
		}
	}
	if c.Quarantine.Threshold > 0 {
		if c.Quarantine.Window == 0 {
			c.Quarantine.Window = time.Minute
		}
		if c.Quarantine.Duration == 0 {
			c.Quarantine.Duration = time.Hour
		}
	}
	if c.Admin.Listen.Value == "" {
		c.Admin.Listen.Value = DefaultAdminListen
	}
	if c.XDP.Mode.Value == "" {
		c.XDP.Mode.Value = XDPNative
	}
	for i := range c.GTP {
		g := &c.GTP[i]
		if g.RejectCauseV2 == 0 {
			g.RejectCauseV2 = 94 // Request rejected (reason not specified)
		}
		if g.RejectCauseV1 == 0 {
			g.RejectCauseV1 = 199 // No resources available
		}
		if g.RequestTimeout == 0 {
			g.RequestTimeout = 30 * time.Second
		}
	}
	for i := range c.M3UA {
		m := &c.M3UA[i]
		if m.Streams == 0 {
			m.Streams = DefaultStreams
		}
		if m.ConnectTimeout == 0 {
			m.ConnectTimeout = DefaultConnectTimeout
		}
		if m.WriteTimeout == 0 {
			m.WriteTimeout = DefaultWriteTimeout
		}
		if m.RejectWith.Value == "" {
			m.RejectWith.Value = RejectTCAPAbort
		}
		if m.RejectErrorCode == 0 {
			m.RejectErrorCode = DefaultRejectErrorCode
		}
	}
	for i := range c.Diameter {
		d := &c.Diameter[i]
		if d.Streams == 0 {
			d.Streams = DefaultStreams
		}
		if d.ConnectTimeout == 0 {
			d.ConnectTimeout = DefaultConnectTimeout
		}
		if d.WriteTimeout == 0 {
			d.WriteTimeout = DefaultWriteTimeout
		}
		if d.RejectResultCode == 0 {
			d.RejectResultCode = DefaultRejectResult
		}
		if d.OriginRealm == "" && len(c.Home.Realms) > 0 {
			d.OriginRealm = c.Home.Realms[0].Name
		}
		if d.OriginHost == "" && d.OriginRealm != "" {
			d.OriginHost = "breakwater." + d.OriginRealm
		}
	}
}

// RulesPath returns the rule file path resolved against the configuration
// file's directory, or "" when none is configured.
func (c *Config) RulesPath() string { return c.resolve(c.Rules) }

// QuarantineStatePath returns the resolved quarantine state file, or "".
func (c *Config) QuarantineStatePath() string { return c.resolve(c.Quarantine.StateFile) }

// AuditPath returns the resolved audit log file, or "".
func (c *Config) AuditPath() string { return c.resolve(c.Audit.Path) }

// Enabled reports whether the admin endpoint is to run.
func (a *Admin) Enabled() bool { return a.Listen.Value != AdminOff && a.Listen.Value != "" }

// SnapshotPath returns the resolved state snapshot file, or "".
func (c *Config) SnapshotPath() string { return c.resolve(c.State.SnapshotFile) }

// RedisPasswordPath returns the resolved Redis password file, or "".
func (c *Config) RedisPasswordPath() string { return c.resolve(c.State.Redis.PasswordFile) }

// RedisTLSPaths returns the resolved state.redis.tls files ("" when unset).
func (c *Config) RedisTLSPaths() (ca, cert, key string) {
	t := c.State.Redis.TLS
	return c.resolve(t.CAFile), c.resolve(t.CertFile), c.resolve(t.KeyFile)
}

// AdminTokenPath returns the resolved admin token file, or "".
func (c *Config) AdminTokenPath() string { return c.resolve(c.Admin.TokenFile) }

// PseudonymKeyPath returns the resolved pseudonym key file, or "".
func (c *Config) PseudonymKeyPath() string { return c.resolve(c.Privacy.PseudonymKeyFile) }

func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}
