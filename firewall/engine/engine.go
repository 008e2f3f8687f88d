// Package engine judges messages: it identifies the sender, evaluates the
// policy's rule set, turns the result into a verdict, and learns subscriber
// locations from what it allows. Replay and the inline proxy share it.
//
// The policy (configuration, network map and rules) is one immutable value
// swapped atomically, so a message is always judged by one complete policy.
package engine

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"breakwater/firewall/baseline"
	"breakwater/firewall/config"
	"breakwater/firewall/network"
	"breakwater/firewall/rules"
	"breakwater/firewall/state"
	"breakwater/protocols/view"
)

// Policy is everything a verdict depends on besides state.
type Policy struct {
	Config *config.Config
	Net    *network.Network
	Rules  *rules.Set
	// Loaded is when the policy was compiled (start-up or reload).
	Loaded  time.Time
	version string
}

// Version identifies the policy in force by content: the rule set's
// version (baseline + rule-file hash) and the configuration file's hash,
// so that the same files give the same version on every node and after
// every restart. Loaded tells when it was put in force.
func (p *Policy) Version() string {
	if p.version == "" {
		return p.Rules.Version
	}
	return p.version
}

// NewPolicy compiles a configuration and its rule file (overridden by
// rulesPath when not empty) into a policy.
func NewPolicy(cfg *config.Config, rulesPath string) (*Policy, error) {
	if rulesPath == "" {
		rulesPath = cfg.RulesPath()
	}
	set, err := rules.Load(rulesPath, baseline.Rules())
	if err != nil {
		return nil, err
	}
	p := &Policy{Config: cfg, Net: network.New(cfg), Rules: set, Loaded: time.Now()}
	p.version = set.Version
	if cfg.Digest != "" {
		p.version += "+cfg." + cfg.Digest
	}
	return p, nil
}

// Verdict is the engine's decision on one message.
type Verdict struct {
	Action rules.Action // Allow, Drop or Reject
	Rule   *rules.Rule  // the rule that decided; never nil
	// Logged lists "log" rules that matched before the decision.
	Logged [rules.MaxLogged]*rules.Rule
	NLog   int
	// ResultCode answers a rejected request; 0 means the protocol default.
	ResultCode uint32
	Sender     *network.Member // nil: unknown source
	Receiver   *network.Member
	Policy     *Policy
}

// Direction classifies the message by its sender.
func (v *Verdict) Direction() string {
	switch {
	case v.Sender == nil:
		return "unknown"
	case v.Sender.Home:
		return "outbound"
	}
	return "inbound"
}

// Partner is the partner involved: the sender of an inbound message, the
// receiver of an outbound one, or "".
func (v *Verdict) Partner() string {
	if v.Sender != nil && !v.Sender.Home {
		return v.Sender.Name
	}
	if v.Receiver != nil && !v.Receiver.Home {
		return v.Receiver.Name
	}
	return ""
}

// Stats counts verdicts. Fields are updated atomically.
type Stats struct {
	// ByKind counts verdicts per protocol, direction (Direction order:
	// inbound, outbound, unknown) and action (allow, drop, reject). The
	// totals are sums of it, not counters of their own: every atomic
	// increment on the per-message path costs tens of cycles.
	ByKind [view.MAP + 1][3][3]atomic.Uint64
	// MalformedBy counts malformed messages per protocol.
	MalformedBy [view.MAP + 1]atomic.Uint64
}

// sum adds ByKind over protocols and directions for the actions in acts
// (indexes into Actions).
func (s *Stats) sum(acts ...int) uint64 {
	var n uint64
	for p := range s.ByKind {
		for d := range s.ByKind[p] {
			for _, a := range acts {
				n += s.ByKind[p][d][a].Load()
			}
		}
	}
	return n
}

// Judged is the number of messages judged.
func (s *Stats) Judged() uint64 { return s.sum(0, 1, 2) }

// Allowed, Dropped and Rejected count the verdicts.
func (s *Stats) Allowed() uint64  { return s.sum(0) }
func (s *Stats) Dropped() uint64  { return s.sum(1) }
func (s *Stats) Rejected() uint64 { return s.sum(2) }

// Malformed is the number of malformed messages judged.
func (s *Stats) Malformed() uint64 {
	var n uint64
	for p := range s.MalformedBy {
		n += s.MalformedBy[p].Load()
	}
	return n
}

// Directions names the direction index of Stats.ByKind.
var Directions = [3]string{"inbound", "outbound", "unknown"}

// Actions names the action index of Stats.ByKind.
var Actions = [3]rules.Action{rules.Allow, rules.Drop, rules.Reject}

// Engine is safe for concurrent use.
type Engine struct {
	policy atomic.Pointer[Policy]
	state  state.Store
	Stats  Stats
	// judges recycles Judges for callers of Engine.Judge that do not keep
	// their own.
	judges sync.Pool
}

// A Judge judges messages for one goroutine. Its rule-evaluation context
// is reused from message to message: rule closures receive a pointer to
// it, which would otherwise have to be allocated per message. Long-lived
// callers (a replay, a proxy connection) keep one Judge each.
type Judge struct {
	e *Engine
	c rules.Context
}

// NewJudge returns a Judge; it is not safe for concurrent use.
func (e *Engine) NewJudge() *Judge { return &Judge{e: e} }

// New returns an engine judging with p and remembering in st.
func New(p *Policy, st state.Store) *Engine {
	e := &Engine{state: st}
	e.judges.New = func() any { return e.NewJudge() }
	e.policy.Store(p)
	return e
}

// NewMemoryState sizes the embedded store from the configuration.
func NewMemoryState(cfg *config.Config) *state.Memory {
	return state.NewMemory(state.MemoryOptions{
		MaxLocations: cfg.Velocity.MaxSubscribers,
		LocationTTL:  cfg.Velocity.LocationTTL,
		// Pending updates and sequence numbers live for seconds: their
		// tables need request rate × lifetime slots, and staying small
		// keeps them in cache (each request touches a random bucket).
		MaxPending:   min(max(cfg.Velocity.MaxSubscribers/8, 1024), 1<<16),
		PendingTTL:   cfg.Velocity.AnswerTimeout,
		MaxSessions:  cfg.GTPState.MaxSessions,
		SessionTTL:   cfg.GTPState.SessionTTL,
		MaxSequences: 1 << 16,
		ReplayMemory: cfg.GTPState.ReplayMemory,
	})
}

// SetPolicy replaces the policy for every message judged afterwards.
func (e *Engine) SetPolicy(p *Policy) { e.policy.Store(p) }

// Policy returns the policy in force.
func (e *Engine) Policy() *Policy { return e.policy.Load() }

// State returns the engine's store.
func (e *Engine) State() state.Store { return e.state }

// Judge decides what happens to m with a pooled Judge. m.Time, m.Src and
// m.Dst must be set. It does not allocate.
func (e *Engine) Judge(m *view.Message) Verdict {
	j := e.judges.Get().(*Judge)
	v := j.Judge(m)
	e.judges.Put(j)
	return v
}

// Invokes is an SS7 message asking for several operations, one Invoke
// each (sigtran.Decoder): how many, and the view of the i-th.
type Invokes interface {
	Invokes() int
	Invoke(i int, v *view.Message) error
}

// JudgeInvokes judges first, the view of an SS7 message's first Invoke,
// and then each further Invoke decoded into extra (which may be first
// itself), with first's time and addresses. The first blocking verdict
// decides, since a filter that judged only the first operation would let
// the others through; invoke is the index of the Invoke it judged.
//
// The message is counted once (messages, rule hits), with the deciding
// verdict: the Invokes judged before a refusal are not messages of their
// own.
func (j *Judge) JudgeInvokes(first *view.Message, more Invokes, extra *view.Message) (v Verdict, invoke int) {
	v = j.evaluate(first)
	if v.Action != rules.Allow {
		j.e.count(v.Policy, first, &v)
		return v, 0
	}
	t, src, dst := first.Time, first.Src, first.Dst
	for i := 1; i < more.Invokes(); i++ {
		more.Invoke(i, extra)
		extra.Time, extra.Src, extra.Dst = t, src, dst
		if vi := j.evaluate(extra); vi.Action != rules.Allow {
			j.e.count(vi.Policy, extra, &vi)
			return vi, i
		}
	}
	j.e.count(v.Policy, first, &v)
	return v, 0
}

// Judge decides what happens to m. m.Time, m.Src and m.Dst must be set.
// It does not allocate.
func (j *Judge) Judge(m *view.Message) Verdict {
	v := j.evaluate(m)
	j.e.count(v.Policy, m, &v)
	return v
}

// evaluate is Judge without the counting.
func (j *Judge) evaluate(m *view.Message) Verdict {
	e := j.e
	p := e.policy.Load()
	c := &j.c
	*c = rules.Context{
		Msg:      m,
		Net:      p.Net,
		State:    e.state,
		Config:   p.Config,
		Sender:   p.Net.SenderOf(m.Src.Addr()),
		Receiver: p.Net.SenderOf(m.Dst.Addr()),
	}
	res := p.Rules.Evaluate(c)
	v := Verdict{
		Action: res.Action, Rule: res.Rule, Logged: res.Logged, NLog: res.NLog,
		ResultCode: res.Rule.ResultCode, Sender: c.Sender, Receiver: c.Receiver, Policy: p,
	}
	if v.Action == rules.Reject && !m.Request {
		// An answer cannot be answered; rejecting it means dropping it.
		v.Action = rules.Drop
	}
	if v.Action == rules.Allow {
		e.learn(c)
	}
	return v
}

// count updates the engine's and the rule set's counters.
func (e *Engine) count(p *Policy, m *view.Message, v *Verdict) {
	st := &e.Stats
	proto := m.Protocol
	if proto > view.MAP {
		proto = view.ProtoUnknown
	}
	if m.Malformed != "" {
		st.MalformedBy[proto].Add(1)
	}
	dir := 2
	switch {
	case v.Sender == nil:
	case v.Sender.Home:
		dir = 1
	default:
		dir = 0
	}
	switch v.Action {
	case rules.Allow:
		st.ByKind[proto][dir][0].Add(1)
	case rules.Drop:
		st.ByKind[proto][dir][1].Add(1)
	case rules.Reject:
		st.ByKind[proto][dir][2].Add(1)
	}
	p.Rules.Hit(v.Rule)
	for i := 0; i < v.NLog; i++ {
		p.Rules.Hit(v.Logged[i])
	}
}

// Describe renders a verdict for logs (allocates; not for the hot path).
func (v *Verdict) Describe() string {
	return fmt.Sprintf("%s by %s (category %s)", v.Action, v.Rule.ID, v.Rule.Category)
}
