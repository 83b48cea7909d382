package scantest

import (
	"bytes"
	"time"

	"github.com/gosnmp/gosnmp"
)

// SNMPv3User is the one USM user (RFC 3414) an agent with
// SNMPAgentOptions.V3 accepts, at authPriv only: what camsweep asks for.
type SNMPv3User struct {
	Username     string
	AuthProtocol gosnmp.SnmpV3AuthProtocol
	AuthPassword string
	PrivProtocol gosnmp.SnmpV3PrivProtocol
	PrivPassword string
}

// The report counters an agent answers with when it will not serve a
// request (RFC 3414 3.2, RFC 3413 3.2).
const (
	oidUsmStatsUnsupportedSecLevels = ".1.3.6.1.6.3.15.1.1.1.0"
	oidUsmStatsUnknownUserNames     = ".1.3.6.1.6.3.15.1.1.3.0"
	oidUsmStatsUnknownEngineIDs     = ".1.3.6.1.6.3.15.1.1.4.0"
	oidSnmpUnknownContexts          = ".1.3.6.1.6.3.12.1.5.0"
)

// agentEngineID is the agent's snmpEngineID (RFC 3411 5: the enterprise
// number with its top bit set, format 3 (a MAC), the MAC).
const agentEngineID = "\x80\x00\x00\x09\x03\x00\x1b\x54\x00\x00\x33"

// snmpVersion reads the version of an SNMP message without decoding the
// rest: SEQUENCE { INTEGER version, ... }.
func snmpVersion(b []byte) (int, bool) {
	if len(b) < 2 || b[0] != 0x30 {
		return 0, false
	}
	i := 2
	if b[1]&0x80 != 0 {
		i += int(b[1] & 0x7f)
	}
	if len(b) < i+3 || b[i] != 0x02 || b[i+1] != 1 {
		return 0, false
	}
	return int(b[i+2]), true
}

// usm is the agent's user as gosnmp's security parameters, localised to
// the agent's engine, with the keys derived once.
func (a *SNMPAgent) usm() *gosnmp.UsmSecurityParameters {
	u := a.opts.V3
	sp := &gosnmp.UsmSecurityParameters{
		UserName:                 u.Username,
		AuthenticationProtocol:   u.AuthProtocol,
		AuthenticationPassphrase: u.AuthPassword,
		PrivacyProtocol:          u.PrivProtocol,
		PrivacyPassphrase:        u.PrivPassword,
		AuthoritativeEngineID:    agentEngineID,
		AuthoritativeEngineBoots: 1,
		AuthoritativeEngineTime:  uint32(time.Since(a.started) / time.Second),
	}
	k := &a.v3Keys
	k.once.Do(func() {
		first := &gosnmp.UsmSecurityParameters{
			AuthenticationProtocol: u.AuthProtocol, AuthenticationPassphrase: u.AuthPassword,
			PrivacyProtocol: u.PrivProtocol, PrivacyPassphrase: u.PrivPassword, AuthoritativeEngineID: agentEngineID,
		}
		if k.err = first.InitSecurityKeys(); k.err == nil {
			k.secret, k.priv = first.SecretKey, first.PrivacyKey
		}
	})
	sp.SecretKey, sp.PrivacyKey = k.secret, k.priv
	return sp
}

// answerV3 serves an SNMPv3 request as an agent does: engine discovery
// first, then only the configured user at authPriv, each context from its
// MIB instance, and a report for an unknown user, level or context. It
// does not check a request's digest: a wrong authentication password
// shows as the client refusing the answer's (camsweep's "auth" all the
// same, where a real agent reports usmStatsWrongDigests); a request it
// cannot decrypt (a wrong privacy password) gets no answer.
func (a *SNMPAgent) answerV3(query []byte) []byte {
	// gosnmp decodes at the level it is told: authPriv for the user's
	// requests, noAuthNoPriv for engine discovery (and any other level,
	// which is then refused).
	user := a.usm()
	if a.v3Keys.err != nil {
		return nil
	}
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.AuthPriv, SecurityParameters: user}
	req, err := dec.SnmpDecodePacket(bytes.Clone(query))
	if err != nil {
		dec = &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: gosnmp.NoAuthNoPriv, SecurityParameters: &gosnmp.UsmSecurityParameters{}}
		if req, err = dec.SnmpDecodePacket(bytes.Clone(query)); err != nil || req.MsgFlags&gosnmp.AuthPriv != gosnmp.NoAuthNoPriv {
			return nil
		}
	}
	usp, ok := req.SecurityParameters.(*gosnmp.UsmSecurityParameters)
	if !ok {
		return nil
	}
	switch {
	case usp.AuthoritativeEngineID != agentEngineID:
		return a.reportV3(req, oidUsmStatsUnknownEngineIDs, gosnmp.NoAuthNoPriv)
	case usp.UserName != a.opts.V3.Username:
		return a.reportV3(req, oidUsmStatsUnknownUserNames, gosnmp.NoAuthNoPriv)
	case req.MsgFlags&gosnmp.AuthPriv != gosnmp.AuthPriv:
		return a.reportV3(req, oidUsmStatsUnsupportedSecLevels, gosnmp.NoAuthNoPriv)
	}
	switch req.PDUType {
	case gosnmp.GetRequest, gosnmp.GetNextRequest, gosnmp.GetBulkRequest, gosnmp.SetRequest:
	default:
		return nil
	}
	mib := a.mib
	if req.ContextName != "" {
		if mib, ok = a.contexts[req.ContextName]; !ok {
			return a.reportV3(req, oidSnmpUnknownContexts, gosnmp.AuthPriv)
		}
	}
	a.mu.Lock()
	a.requests++
	a.byContext[req.ContextName]++
	a.mu.Unlock()
	resp := a.v3Packet(req, gosnmp.GetResponse, gosnmp.AuthPriv)
	resp.Variables, resp.Error, resp.ErrorIndex = mib.serve(req)
	return a.marshalV3(req, resp)
}

// reportV3 answers with a Report PDU naming the counter of the refusal.
func (a *SNMPAgent) reportV3(req *gosnmp.SnmpPacket, counter string, flags gosnmp.SnmpV3MsgFlags) []byte {
	resp := a.v3Packet(req, gosnmp.Report, flags)
	resp.Variables = []gosnmp.SnmpPDU{{Name: counter, Type: gosnmp.Counter32, Value: uint(1)}}
	return a.marshalV3(req, resp)
}

func (a *SNMPAgent) v3Packet(req *gosnmp.SnmpPacket, pdu gosnmp.PDUType, flags gosnmp.SnmpV3MsgFlags) *gosnmp.SnmpPacket {
	sp := a.usm()
	if flags == gosnmp.NoAuthNoPriv {
		sp = &gosnmp.UsmSecurityParameters{AuthoritativeEngineID: agentEngineID, AuthoritativeEngineBoots: 1,
			AuthoritativeEngineTime: uint32(time.Since(a.started) / time.Second)}
	}
	return &gosnmp.SnmpPacket{
		Version: gosnmp.Version3, MsgFlags: flags, SecurityModel: gosnmp.UserSecurityModel, SecurityParameters: sp,
		MsgID: req.MsgID, RequestID: req.RequestID, PDUType: pdu,
		ContextEngineID: agentEngineID, ContextName: req.ContextName,
	}
}

func (a *SNMPAgent) marshalV3(req, resp *gosnmp.SnmpPacket) []byte {
	sp := resp.SecurityParameters.(*gosnmp.UsmSecurityParameters)
	if err := sp.InitSecurityKeys(); err != nil {
		return nil
	}
	if err := sp.InitPacket(resp); err != nil {
		return nil
	}
	if a.opts.Respond != nil && resp.PDUType == gosnmp.GetResponse {
		if resp = a.opts.Respond(req, resp); resp == nil {
			return nil
		}
	}
	out, err := resp.MarshalMsg()
	if err != nil || len(out) > maxDatagram {
		return nil
	}
	return out
}
