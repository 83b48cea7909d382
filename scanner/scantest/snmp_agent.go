package scantest

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"
)

// SNMPVar is one object an SNMPAgent serves.
type SNMPVar struct {
	OID   string // dotted, leading dot optional
	Type  gosnmp.Asn1BER
	Value any // []byte or string for OctetString, int for Integer, uint32 for Gauge32/Counter32/TimeTicks, string for ObjectIdentifier
}

// MIB is the set of objects an SNMPAgent serves, built with its helpers.
type MIB struct{ vars []SNMPVar }

// Text adds an OctetString object.
func (m *MIB) Text(oid, s string) *MIB { return m.Add(oid, gosnmp.OctetString, []byte(s)) }

// Octets adds an OctetString object holding bytes (a MAC, a bitmap).
func (m *MIB) Octets(oid string, b []byte) *MIB { return m.Add(oid, gosnmp.OctetString, b) }

// Int adds an INTEGER object.
func (m *MIB) Int(oid string, n int) *MIB { return m.Add(oid, gosnmp.Integer, n) }

// Gauge adds an Unsigned32/Gauge32 object.
func (m *MIB) Gauge(oid string, n uint32) *MIB { return m.Add(oid, gosnmp.Gauge32, uint(n)) }

// Add adds an object of any type.
func (m *MIB) Add(oid string, t gosnmp.Asn1BER, v any) *MIB {
	m.vars = append(m.vars, SNMPVar{OID: oid, Type: t, Value: v})
	return m
}

// Len is the number of objects.
func (m *MIB) Len() int { return len(m.vars) }

// SNMPAgentOptions adjusts an agent.
type SNMPAgentOptions struct {
	// Community is the v2c community it answers; a request with another
	// is dropped without an answer, as real agents do.
	Community string
	// Addr is where it listens (default 127.0.0.1:0).
	Addr string
	// ListenPacket opens its socket (the namespace lab opens it inside a
	// namespace); default net.ListenPacket.
	ListenPacket func(network, address string) (net.PacketConn, error)
	// Respond, when set, may rewrite an answer before it is sent, to play
	// a broken or hostile agent (OIDs out of order, wrong types); it may
	// return nil to stay silent.
	Respond func(req, resp *gosnmp.SnmpPacket) *gosnmp.SnmpPacket
	// Contexts are further MIB instances by context name, as a Cisco
	// Catalyst serves each VLAN's bridge in the context "vlan-N": an
	// SNMPv2c request with the community "Community@N" is answered from
	// Contexts["vlan-N"] ("community string indexing"); a community
	// naming a context that does not exist is dropped like any wrong
	// community.
	Contexts map[string]*MIB
	// V3, when set, also serves SNMPv3 (snmp_v3.go) to this one user:
	// the default instance without a context name, Contexts by name.
	V3 *SNMPv3User
}

// SNMPAgent is an in-process SNMPv2c (and, with V3, SNMPv3 authPriv) agent
// serving a fixed MIB, the way
// httptest.Server serves a handler: it answers GET, GETNEXT and GETBULK in
// lexicographic OID order, refuses SET (notWritable), ignores a wrong
// community, and records who asked. It stands in for a switch's
// BRIDGE-MIB, Q-BRIDGE-MIB, IF-MIB and LLDP-MIB, which net-snmp does not
// serve from a Linux bridge.
type SNMPAgent struct {
	// Addr is the address it listens on.
	Addr netip.AddrPort

	conn     net.PacketConn
	opts     SNMPAgentOptions
	mib      *mibIndex
	contexts map[string]*mibIndex
	decoder  *gosnmp.GoSNMP
	done     chan struct{}
	started  time.Time
	// v3Keys are the V3 user's keys localised to the agent's engine, made
	// once: deriving them hashes a megabyte per key (RFC 3414 A.2).
	v3Keys struct {
		once         sync.Once
		secret, priv []byte
		err          error
	}

	mu        sync.Mutex
	requests  int
	byContext map[string]int
	sources   map[netip.Addr]int
}

// mibIndex is one MIB instance, its objects in OID order.
type mibIndex struct {
	oids []snmpOID // sorted
	vars []SNMPVar // parallel to oids
}

func newMIBIndex(mib *MIB) (*mibIndex, error) {
	type pair struct {
		o snmpOID
		v SNMPVar
	}
	var ps []pair
	for _, v := range mib.vars {
		o, err := parseSNMPOID(v.OID)
		if err != nil {
			return nil, fmt.Errorf("scantest: snmp agent: %w", err)
		}
		v.OID = o.String()
		ps = append(ps, pair{o, v})
	}
	slices.SortStableFunc(ps, func(x, y pair) int { return compareSNMPOID(x.o, y.o) })
	m := &mibIndex{}
	for i, p := range ps {
		if i > 0 && compareSNMPOID(ps[i-1].o, p.o) == 0 {
			return nil, fmt.Errorf("scantest: snmp agent: OID %s given twice", p.o)
		}
		m.oids, m.vars = append(m.oids, p.o), append(m.vars, p.v)
	}
	return m, nil
}

type snmpOID []uint32

func parseSNMPOID(s string) (snmpOID, error) {
	s = strings.TrimPrefix(s, ".")
	if s == "" {
		return nil, errors.New("empty OID")
	}
	parts := strings.Split(s, ".")
	out := make(snmpOID, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("OID %q: %w", s, err)
		}
		out[i] = uint32(n)
	}
	return out, nil
}

func (o snmpOID) String() string {
	var b strings.Builder
	for _, n := range o {
		b.WriteByte('.')
		b.WriteString(strconv.FormatUint(uint64(n), 10))
	}
	return b.String()
}

func compareSNMPOID(a, b snmpOID) int { return slices.Compare(a, b) }

// NewSNMPAgent starts an agent serving mib. Close it when done.
func NewSNMPAgent(mib *MIB, opts SNMPAgentOptions) (*SNMPAgent, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.ListenPacket == nil {
		opts.ListenPacket = net.ListenPacket
	}
	a := &SNMPAgent{opts: opts, decoder: &gosnmp.GoSNMP{Version: gosnmp.Version2c}, done: make(chan struct{}), started: time.Now(),
		sources: map[netip.Addr]int{}, byContext: map[string]int{}, contexts: map[string]*mibIndex{}}
	var err error
	if a.mib, err = newMIBIndex(mib); err != nil {
		return nil, err
	}
	for name, m := range opts.Contexts {
		if a.contexts[name], err = newMIBIndex(m); err != nil {
			return nil, fmt.Errorf("%w (context %s)", err, name)
		}
	}
	conn, err := opts.ListenPacket("udp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("scantest: snmp agent: %w", err)
	}
	a.conn = conn
	ap, err := netip.ParseAddrPort(conn.LocalAddr().String())
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("scantest: snmp agent: %w", err)
	}
	a.Addr = ap
	go a.serve()
	return a, nil
}

// StartSNMPAgent starts an agent for a test and closes it with the test.
func StartSNMPAgent(tb testing.TB, mib *MIB, opts SNMPAgentOptions) *SNMPAgent {
	tb.Helper()
	a, err := NewSNMPAgent(mib, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = a.Close() })
	return a
}

// Close stops the agent and waits for its loop to end.
func (a *SNMPAgent) Close() error {
	err := a.conn.Close()
	<-a.done
	return err
}

// Requests is how many well-formed requests with the right community
// the agent received.
func (a *SNMPAgent) Requests() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests
}

// ContextRequests is how many of them each context answered ("" is the
// default instance).
func (a *SNMPAgent) ContextRequests() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.byContext)
}

// Sources is how many datagrams (any, well-formed or not) came from each
// address: the witness that only the expected host asked.
func (a *SNMPAgent) Sources() map[netip.Addr]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[netip.Addr]int, len(a.sources))
	for k, v := range a.sources {
		out[k] = v
	}
	return out
}

func (a *SNMPAgent) serve() {
	defer close(a.done)
	buf := make([]byte, 64<<10)
	for {
		n, from, err := a.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if ap, err := netip.ParseAddrPort(from.String()); err == nil {
			a.mu.Lock()
			a.sources[ap.Addr().Unmap()]++
			a.mu.Unlock()
		}
		out := a.answer(buf[:n])
		if out != nil {
			_, _ = a.conn.WriteTo(out, from)
		}
	}
}

// maxAnswerVars bounds an answer's rows, and maxDatagram its size, as an
// agent bounds its datagram (net-snmp's default is 1472 octets of
// payload on Ethernet; this fake is generous).
const (
	maxAnswerVars = 2000
	maxDatagram   = 60000
)

func (a *SNMPAgent) answer(query []byte) []byte {
	if v, ok := snmpVersion(query); ok && v == int(gosnmp.Version3) {
		if a.opts.V3 == nil {
			return nil
		}
		return a.answerV3(query)
	}
	req, err := a.decoder.SnmpDecodePacket(query)
	if err != nil || req.Version != gosnmp.Version2c {
		return nil
	}
	switch req.PDUType {
	case gosnmp.GetRequest, gosnmp.GetNextRequest, gosnmp.GetBulkRequest, gosnmp.SetRequest:
	default:
		return nil
	}
	ctxName, mib, ok := a.instance(req.Community)
	if !ok {
		return nil
	}
	a.mu.Lock()
	a.requests++
	a.byContext[ctxName]++
	a.mu.Unlock()
	resp := &gosnmp.SnmpPacket{Version: gosnmp.Version2c, Community: req.Community, PDUType: gosnmp.GetResponse, RequestID: req.RequestID}
	resp.Variables, resp.Error, resp.ErrorIndex = mib.serve(req)
	if a.opts.Respond != nil {
		if resp = a.opts.Respond(req, resp); resp == nil {
			return nil
		}
	}
	out, err := resp.MarshalMsg()
	if err != nil {
		return nil
	}
	if len(out) > maxDatagram {
		// RFC 3416: an answer that does not fit is tooBig, with no variables.
		resp.Variables, resp.Error, resp.ErrorIndex = nil, gosnmp.TooBig, 0
		if out, err = resp.MarshalMsg(); err != nil {
			return nil
		}
	}
	return out
}

// instance picks the MIB instance a v2c community selects: the default
// one for the community itself, a VLAN's for "community@VLAN".
func (a *SNMPAgent) instance(community string) (string, *mibIndex, bool) {
	if community == a.opts.Community {
		return "", a.mib, true
	}
	base, vlan, ok := strings.Cut(community, "@")
	if !ok || base != a.opts.Community {
		return "", nil, false
	}
	name := "vlan-" + vlan
	m, ok := a.contexts[name]
	return name, m, ok
}

// serve answers a request's PDU from the instance: variables, error
// status and index.
func (m *mibIndex) serve(req *gosnmp.SnmpPacket) ([]gosnmp.SnmpPDU, gosnmp.SNMPError, uint8) {
	var out []gosnmp.SnmpPDU
	switch req.PDUType {
	case gosnmp.GetRequest:
		for _, v := range req.Variables {
			out = append(out, m.get(v.Name))
		}
	case gosnmp.GetNextRequest:
		for _, v := range req.Variables {
			out = append(out, m.next(v.Name))
		}
	case gosnmp.GetBulkRequest:
		out = m.bulk(req)
	case gosnmp.SetRequest:
		return req.Variables, gosnmp.NotWritable, 1
	}
	return out, gosnmp.NoError, 0
}

func (m *mibIndex) find(name string) (int, snmpOID, bool) {
	o, err := parseSNMPOID(name)
	if err != nil {
		return 0, nil, false
	}
	i, found := slices.BinarySearchFunc(m.oids, o, compareSNMPOID)
	return i, o, found
}

func (m *mibIndex) pdu(i int) gosnmp.SnmpPDU {
	v := m.vars[i]
	return gosnmp.SnmpPDU{Name: v.OID, Type: v.Type, Value: v.Value}
}

func (m *mibIndex) get(name string) gosnmp.SnmpPDU {
	i, o, found := m.find(name)
	if !found {
		if o == nil {
			return gosnmp.SnmpPDU{Name: name, Type: gosnmp.NoSuchObject}
		}
		return gosnmp.SnmpPDU{Name: o.String(), Type: gosnmp.NoSuchObject}
	}
	return m.pdu(i)
}

// next is the first object after name (GETNEXT).
func (m *mibIndex) next(name string) gosnmp.SnmpPDU {
	i, o, found := m.find(name)
	if o == nil {
		return gosnmp.SnmpPDU{Name: name, Type: gosnmp.EndOfMibView}
	}
	if found {
		i++
	}
	if i >= len(m.oids) {
		return gosnmp.SnmpPDU{Name: o.String(), Type: gosnmp.EndOfMibView}
	}
	return m.pdu(i)
}

// bulk answers GETBULK as RFC 3416 4.2.3 says: the non-repeaters once,
// then max-repetitions rows of the repeaters, row by row.
func (m *mibIndex) bulk(req *gosnmp.SnmpPacket) []gosnmp.SnmpPDU {
	nonRep := min(int(req.NonRepeaters), len(req.Variables))
	var out []gosnmp.SnmpPDU
	for _, v := range req.Variables[:nonRep] {
		out = append(out, m.next(v.Name))
	}
	cursor := make([]string, 0, len(req.Variables)-nonRep)
	for _, v := range req.Variables[nonRep:] {
		cursor = append(cursor, v.Name)
	}
	for r := 0; r < int(req.MaxRepetitions) && len(cursor) > 0 && len(out) < maxAnswerVars; r++ {
		allEnd := true
		for j, name := range cursor {
			p := m.next(name)
			out = append(out, p)
			cursor[j] = p.Name
			allEnd = allEnd && p.Type == gosnmp.EndOfMibView
		}
		if allEnd {
			break
		}
	}
	return out
}
