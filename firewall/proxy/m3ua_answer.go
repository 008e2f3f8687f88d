package proxy

import (
	"breakwater/firewall/engine"
	"breakwater/firewall/transport"
	"breakwater/protocols/m3ua"
	"breakwater/protocols/sccp"
	"breakwater/protocols/tcap"
)

// # Answers to rejected requests
//
// A rule whose action is reject has the request answered toward its
// sender, in the form reject_with names, so that the sender's dialogue
// ends at once instead of timing out (and retrying):
//
//   - tcap-abort (default): a TC-ABORT whose destination transaction id is
//     the sender's originating one. When the message carried a dialogue
//     portion (a Begin with an AARQ, a first Continue with an AARE) it is
//     a user abort with an ABRT APDU, abort-source dialogue-service-user,
//     as Q.774's dialogue handling sends when the user aborts a structured
//     dialogue; without one (MAP v1, or later messages of a dialogue) an
//     ABRT cannot be sent and it is a provider abort with P-AbortCause
//     resourceLimitation (Q.773 cause 4: what a congested node says, which
//     invites a retry elsewhere rather than a fault report).
//     Wireshark's packet-tcap reads them as "abort-source:
//     dialogue-service-user (0)" and "p-abortCause: resourceLimitation (4)".
//   - return-error: a TC-END with a ReturnError for the blocked Invoke's
//     invoke id and a MAP error code (the rule's result code when it is
//     1..255, else reject_error_code, default 21 facilityNotSupported);
//     when the Begin opened the dialogue with an AARQ, the End carries an
//     AARE accepting that application context, as a real HLR's refusal
//     does.
//   - udts: the message returned as undeliverable in an SCCP UDTS (XUDTS
//     for an XUDT; the first segment of a segmented one) with return cause
//     udts_cause (default 0, no translation for an address of such
//     nature): to the sender, home looks like a global title that does not
//     route. Q.714's message return procedure returns a message only when
//     its return option is set, and Breakwater follows it: a real SCCP
//     silently discards an undeliverable message sent without the option,
//     so answering one would tell the prober that something in the path
//     is not an SCCP. Without the option the message is dropped.
//
// The TCAP answers are carried in a UDT (XUDT for an XUDT or LUDT) from
// the called to the calling party address of the request, with its
// protocol class. Every answer travels in M3UA DATA on the request's
// stream, with the point codes swapped and the request's network
// indicator, priority, SLS, network appearance and routing context. A
// rejection that cannot be answered in the configured form — no
// transaction to answer (a Unidirectional, an End, an unparsable TCAP), no
// return option for udts — is dropped and counted (Unanswered).
//
// Answers are built in each reader's own buffers: answering allocates
// nothing.

// answer answers the rejected message m (or, for a segmented message, the
// message whose segments are held at index held) toward to, its sender.
// invoke is the index of the Invoke the rejecting verdict judged.
func (p *m3uaPair) answer(rd *m3uaReader, to *endpoint, m transport.Message, verdict *engine.Verdict, invoke, held int) error {
	cfg := &p.r.cfg
	st := &p.r.Stats
	if cfg.RejectWith == RejectDrop {
		return nil
	}
	src := m.Data
	if cfg.RejectWith == RejectUDTS && held >= 0 {
		src = rd.firstSegment(held, src)
	}
	if m3ua.ParseData(src, &rd.data) != nil || rd.data.SI != m3ua.SISCCP || sccp.Parse(rd.data.UserData, &rd.sccp) != nil {
		st.Unanswered.Add(1)
		return nil
	}
	s := &rd.sccp
	var out []byte
	var kind int
	if cfg.RejectWith == RejectUDTS {
		var ok bool
		if !s.ReturnOnError() {
			st.Unanswered.Add(1)
			return nil
		}
		if out, ok = rd.sb.Return(s, cfg.UDTSCause); !ok {
			st.Unanswered.Add(1)
			return nil
		}
		kind = m3uaAnswerUDTS
	} else {
		var tc []byte
		tc, kind = rd.tcapAnswer(cfg, verdict, invoke)
		if tc == nil || (s.Type != sccp.TypeUDT && s.Type != sccp.TypeXUDT && s.Type != sccp.TypeLUDT) {
			st.Unanswered.Add(1)
			return nil
		}
		var err error
		if s.Type == sccp.TypeUDT {
			out, err = rd.sb.UDT(s.ProtocolClass, s.Calling.Raw, s.Called.Raw, tc)
		} else {
			out, err = rd.sb.XUDT(s.ProtocolClass, sccp.DefaultHopCounter, s.Calling.Raw, s.Called.Raw, tc, nil)
		}
		if err != nil {
			st.Unanswered.Add(1)
			return nil
		}
	}
	d := &rd.data
	ans := m3ua.Data{
		NetworkAppearance: d.NetworkAppearance,
		RoutingContext:    d.RoutingContext,
		ProtocolData:      m3ua.ProtocolData{OPC: d.DPC, DPC: d.OPC, SI: d.SI, NI: d.NI, MP: d.MP, SLS: d.SLS, UserData: out},
	}
	if err := writeOnStream(to, transport.Message{Data: rd.mb.Data(&ans), Stream: m.Stream, PPID: m.PPID}); err != nil {
		return err
	}
	st.Answers[kind].Add(1)
	return nil
}

// tcapAnswer builds the TCAP answer to the judged message (rd.msg.Raw is
// its TCAP: only a request, which has a parsed Invoke, can be rejected),
// or nil when it has no transaction to answer.
func (rd *m3uaReader) tcapAnswer(cfg *M3UAConfig, verdict *engine.Verdict, invoke int) ([]byte, int) {
	tc := &rd.tc
	if tcap.Parse(rd.msg.Raw, tc) != nil || (tc.Type != tcap.Begin && tc.Type != tcap.Continue) || !tc.HasOTID {
		return nil, 0
	}
	if cfg.RejectWith == RejectReturnError {
		id, ok := nthInvokeID(tc, invoke)
		if !ok {
			return nil, 0
		}
		code := int64(cfg.RejectErrorCode)
		if verdict.ResultCode >= 1 && verdict.ResultCode <= 255 {
			code = int64(verdict.ResultCode)
		}
		var acn, version []byte
		if tc.Type == tcap.Begin && tc.Dialogue.Kind == tcap.AARQ {
			acn, version = tc.Dialogue.ACN, tc.Dialogue.ProtocolVersion
		}
		return rd.tb.EndReturnError(tc.OTIDBytes, acn, version, id, code), m3uaAnswerReturnError
	}
	if tc.Dialogue.Kind != tcap.DialogueNone {
		return rd.tb.UAbort(tc.OTIDBytes, tcap.AbortSourceUser), m3uaAnswerUAbort
	}
	return rd.tb.PAbort(tc.OTIDBytes, tcap.PAbortResourceLimitation), m3uaAnswerPAbort
}

// nthInvokeID returns the invoke id of the n-th Invoke (from 0) with a
// local operation code, counted as the MAP decoder counts them.
func nthInvokeID(tc *tcap.Message, n int) (int32, bool) {
	it := tc.Components()
	var c tcap.Component
	seen := 0
	for it.Read(&c) {
		if c.Type != tcap.Invoke || c.Op.Kind != tcap.CodeLocal || c.Op.Local < 0 || c.Op.Local > 255 {
			continue
		}
		if seen == n {
			return c.InvokeID, c.HasInvokeID
		}
		seen++
	}
	return 0, false
}

// firstSegment returns the held first segment of message i (Q.714 returns
// only the first segment of a segmented message), or def.
func (rd *m3uaReader) firstSegment(i int, def []byte) []byte {
	h := &rd.held.msgs[i]
	for _, s := range h.segs[:h.nseg] {
		raw := h.buf[s.off : s.off+s.n]
		if _, first, ok := rd.segment(raw); ok && first {
			return raw
		}
	}
	return def
}
