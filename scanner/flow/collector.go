package flow

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
	"github.com/netsampler/goflow2/v2/decoders/netflowlegacy"
	"github.com/netsampler/goflow2/v2/decoders/sflow"
	protoproducer "github.com/netsampler/goflow2/v2/producer/proto"
	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/evidence"
)

// Bounds of a Collector: a hostile or broken exporter cannot grow them.
const (
	DefaultMaxExporters = 64
	DefaultMaxTemplates = 256
	// maxSamplingDomains bounds the observation domains whose sampling
	// rate an exporter may announce.
	maxSamplingDomains = 64
	// maxDatagram is the largest UDP payload read.
	maxDatagram = 65535
	// clockSlack is how far a record's own time may lie from the time it
	// was received before the receive time is used instead (an exporter
	// with a wrong clock, or a v9 uptime that wrapped).
	clockSlack = 24 * time.Hour
)

// CollectorOptions configure NewCollector.
type CollectorOptions struct {
	// Exporters are the addresses allowed to send flows (the routers and
	// switches named in the configuration); datagrams from anyone else
	// are dropped and counted. Empty accepts any sender.
	Exporters []netip.Prefix
	// Sampling is the rate (1 in N packets) assumed for an exporter that
	// announces none; 0 or 1 means unsampled.
	Sampling uint32
	// MaxExporters and MaxTemplates bound the template state;
	// DefaultMaxExporters and DefaultMaxTemplates when 0.
	MaxExporters int
	MaxTemplates int
	Log          zerolog.Logger
}

// CollectorStats counts a collector's work since it was made.
type CollectorStats struct {
	Datagrams uint64
	// Records counts decoded flow records by source (evidence.Source*).
	Records map[string]uint64
	// Refused counts datagrams from senders not in Exporters, or from a
	// new exporter when MaxExporters are known.
	Refused uint64
	// Errors counts datagrams that did not decode (an unknown version, a
	// data set before its template, a truncated record).
	Errors uint64
	// Panics counts datagrams a decoder panicked on (recovered; counted
	// in Errors too). The fuzz targets look for them.
	Panics    uint64
	Exporters int
	// LastDatagram is when the last datagram was decoded; zero before.
	LastDatagram time.Time
}

// Collector decodes NetFlow v5, v9, IPFIX and sFlow v5 datagrams with
// goflow2's decoders and folds their records into a Table, scaling
// sampled counts by the sampling rate. Safe for concurrent use.
type Collector struct {
	table *Table
	opts  CollectorOptions
	log   zerolog.Logger

	mu        sync.Mutex
	exporters map[netip.AddrPort]*exporter
	stats     CollectorStats
}

// exporter is one sender's template and sampling state. goflow2 keys it
// by address and port, as an exporter restarting on a new port starts
// its templates afresh.
type exporter struct {
	templates *templateStore
	sampling  *samplingStore
	// psamp holds the 1-in-N rate an IPFIX exporter announced the PSAMP
	// way, by observation domain (see psampRate).
	psamp map[uint32]uint64
}

// NewCollector makes a collector feeding table.
func NewCollector(table *Table, opts CollectorOptions) *Collector {
	if opts.MaxExporters <= 0 {
		opts.MaxExporters = DefaultMaxExporters
	}
	if opts.MaxTemplates <= 0 {
		opts.MaxTemplates = DefaultMaxTemplates
	}
	return &Collector{
		table: table, opts: opts, log: opts.Log,
		exporters: map[netip.AddrPort]*exporter{},
		stats:     CollectorStats{Records: map[string]uint64{}},
	}
}

// Serve reads datagrams from conn until ctx ends (it then closes conn) or
// conn fails.
func (c *Collector) Serve(ctx context.Context, conn net.PacketConn) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	buf := make([]byte, maxDatagram)
	for {
		n, addr, err := conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("flow: collector: %w", err)
		}
		ua, ok := addr.(*net.UDPAddr)
		if !ok {
			continue
		}
		if _, err := c.Decode(buf[:n], ua.AddrPort(), time.Now()); err != nil {
			c.log.Debug().Err(err).Str("exporter", ua.String()).Msg("flow datagram not decoded")
		}
	}
}

// Stats returns the collector's counters.
func (c *Collector) Stats() CollectorStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Records = make(map[string]uint64, len(c.stats.Records))
	for k, v := range c.stats.Records {
		s.Records[k] = v
	}
	s.Exporters = len(c.exporters)
	return s
}

// Decode folds one datagram from an exporter into the table and returns
// how many flow records it held.
func (c *Collector) Decode(payload []byte, from netip.AddrPort, at time.Time) (n int, err error) {
	from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stats.Datagrams++
	if len(c.opts.Exporters) > 0 && !slices.ContainsFunc(c.opts.Exporters, func(p netip.Prefix) bool { return p.Contains(from.Addr()) }) {
		c.stats.Refused++
		return 0, fmt.Errorf("flow: %s is not a configured exporter", from)
	}
	ex := c.exporters[from]
	if ex == nil {
		if len(c.exporters) >= c.opts.MaxExporters {
			c.stats.Refused++
			return 0, fmt.Errorf("flow: %s: already %d exporters", from, c.opts.MaxExporters)
		}
		ex = &exporter{templates: newTemplateStore(c.opts.MaxTemplates), sampling: newSamplingStore(), psamp: map[uint32]uint64{}}
		c.exporters[from] = ex
	}
	defer func() {
		// The decoders read attacker-controlled lengths; a bug there must
		// cost one datagram, not the daemon.
		if r := recover(); r != nil {
			c.stats.Panics++
			n, err = 0, fmt.Errorf("flow: decoder panic on datagram from %s: %v", from, r)
		}
		if err != nil {
			c.stats.Errors++
		} else {
			c.stats.LastDatagram = at
		}
	}()
	msgs, source, err := c.decode(payload, ex)
	if err != nil {
		return 0, fmt.Errorf("flow: datagram from %s: %w", from, err)
	}
	for _, m := range msgs {
		r, ok := c.record(m, source, at)
		if !ok {
			continue
		}
		c.table.Add(r)
		n++
	}
	c.stats.Records[source] += uint64(n)
	return n, nil
}

// decoded is what decode needs of a goflow2 flow message.
type decoded struct {
	msg      *protoproducer.ProtoProducerMessage
	sampling uint64 // from the data record itself, when it carries one
}

func (c *Collector) decode(payload []byte, ex *exporter) ([]decoded, string, error) {
	if len(payload) < 4 {
		return nil, "", errors.New("shorter than a flow header")
	}
	if binary.BigEndian.Uint32(payload) == 5 {
		var pkt sflow.Packet
		if err := sflow.DecodeMessageVersion(bytes.NewBuffer(payload), &pkt); err != nil {
			return nil, "", fmt.Errorf("sflow: %w", err)
		}
		msgs, err := protoproducer.ProcessMessageSFlowConfig(&pkt, nil)
		return wrap(msgs, 0), evidence.SourceSFlow, err
	}
	buf := bytes.NewBuffer(payload[2:])
	switch binary.BigEndian.Uint16(payload) {
	case 5:
		pkt := netflowlegacy.PacketNetFlowV5{Version: 5}
		if err := netflowlegacy.DecodeMessage(buf, &pkt); err != nil {
			return nil, "", fmt.Errorf("netflow v5: %w", err)
		}
		msgs, err := protoproducer.ProcessMessageNetFlowLegacy(&pkt)
		return wrap(msgs, 0), evidence.SourceNetFlow5, err
	case 9:
		pkt := netflow.NFv9Packet{Version: 9}
		if err := netflow.DecodeMessageNetFlow(buf, ex.templates, &pkt); err != nil {
			return nil, "", fmt.Errorf("netflow v9: %w", err)
		}
		msgs, err := protoproducer.ProcessMessageNetFlowV9Config(&pkt, ex.sampling, nil)
		return wrap(msgs, recordSampling(pkt.FlowSets)), evidence.SourceNetFlow, err
	case 10:
		pkt := netflow.IPFIXPacket{Version: 10}
		if err := netflow.DecodeMessageIPFIX(buf, ex.templates, &pkt); err != nil {
			return nil, "", fmt.Errorf("ipfix: %w", err)
		}
		msgs, err := protoproducer.ProcessMessageIPFIXConfig(&pkt, ex.sampling, nil)
		rate := recordSampling(pkt.FlowSets)
		if rate == 0 {
			rate = ex.psampRate(pkt.ObservationDomainId, pkt.FlowSets)
		}
		return wrap(msgs, rate), evidence.SourceIPFIX, err
	}
	return nil, "", fmt.Errorf("unknown flow version %d", binary.BigEndian.Uint16(payload))
}

func wrap[T any](msgs []T, sampling uint64) []decoded {
	out := make([]decoded, 0, len(msgs))
	for _, m := range msgs {
		if pm, ok := any(m).(*protoproducer.ProtoProducerMessage); ok {
			out = append(out, decoded{msg: pm, sampling: sampling})
		}
	}
	return out
}

// recordSampling finds a sampling interval carried in the data records
// themselves (NetFlow v9 SAMPLING_INTERVAL 34, IPFIX samplingInterval 34,
// samplingPacketInterval 305, samplerRandomInterval 50): goflow2 reads it
// only from options records.
func recordSampling(sets []any) uint64 {
	for _, s := range sets {
		ds, ok := s.(netflow.DataFlowSet)
		if !ok {
			continue
		}
		for _, rec := range ds.Records {
			for _, f := range rec.Values {
				if f.PenProvided || (f.Type != 34 && f.Type != 305 && f.Type != 50) {
					continue
				}
				if n := bytesUint(f.Value); n > 0 {
					return n
				}
			}
		}
	}
	return 0
}

// psampRate follows an IPFIX exporter's PSAMP announcement (RFC 5477):
// samplingPacketInterval (305) packets selected, then
// samplingPacketSpace (306) skipped, so 1 in (interval+space)/interval.
// softflowd -s 4 announces interval 1, space 3; goflow2 reads the interval
// alone, which would take every count as unsampled. The rate is kept per
// observation domain for the data sets that follow.
func (ex *exporter) psampRate(domain uint32, sets []any) uint64 {
	for _, s := range sets {
		os, ok := s.(netflow.OptionsDataFlowSet)
		if !ok {
			continue
		}
		for _, rec := range os.Records {
			var interval, space uint64
			for _, f := range rec.OptionsValues {
				if f.PenProvided {
					continue
				}
				switch f.Type {
				case 305:
					interval = bytesUint(f.Value)
				case 306:
					space = bytesUint(f.Value)
				}
			}
			if interval > 0 && space > 0 {
				if _, known := ex.psamp[domain]; known || len(ex.psamp) < maxSamplingDomains {
					ex.psamp[domain] = (interval + space) / interval
				}
			}
		}
	}
	return ex.psamp[domain]
}

func bytesUint(v any) uint64 {
	b, ok := v.([]byte)
	if !ok || len(b) == 0 || len(b) > 8 {
		return 0
	}
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// record turns a decoded flow message into a table record.
func (c *Collector) record(d decoded, source string, at time.Time) (Record, bool) {
	m := d.msg
	src, ok1 := netip.AddrFromSlice(m.SrcAddr)
	dst, ok2 := netip.AddrFromSlice(m.DstAddr)
	if !ok1 || !ok2 {
		return Record{}, false
	}
	// A rate the records carry, or a PSAMP announcement, is more
	// precise than goflow2's reading of the options.
	rate := d.sampling
	if rate <= 1 {
		rate = m.SamplingRate
	}
	if rate <= 1 {
		rate = uint64(c.opts.Sampling)
	}
	bytes, packets := m.Bytes, m.Packets
	if packets == 0 && source == evidence.SourceSFlow {
		packets = 1
	}
	sampled := rate > 1
	if sampled {
		bytes *= rate
		packets *= rate
	}
	r := Record{
		Src: netip.AddrPortFrom(src, uint16(m.SrcPort)), Dst: netip.AddrPortFrom(dst, uint16(m.DstPort)),
		Proto: uint8(m.Proto), Bytes: bytes, Packets: packets, Source: source, Sampled: sampled,
		Start: flowTime(m.TimeFlowStartNs, at), End: flowTime(m.TimeFlowEndNs, at),
	}
	return r, true
}

func flowTime(ns uint64, received time.Time) time.Time {
	if ns == 0 || ns > 1<<62 {
		return received
	}
	t := time.Unix(0, int64(ns))
	if d := t.Sub(received); d > 5*time.Minute || d < -clockSlack {
		return received
	}
	return t
}

// templateStore is goflow2's NetFlowTemplateSystem with a cap.
type templateStore struct {
	mu  sync.RWMutex
	m   map[uint64]any
	max int
}

func newTemplateStore(max int) *templateStore {
	return &templateStore{m: map[uint64]any{}, max: max}
}

func templateKey(version uint16, domain uint32, id uint16) uint64 {
	return uint64(version)<<48 | uint64(domain)<<16 | uint64(id)
}

func (s *templateStore) AddTemplate(version uint16, domain uint32, id uint16, tmpl any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := templateKey(version, domain, id)
	if _, ok := s.m[k]; !ok && len(s.m) >= s.max {
		return fmt.Errorf("more than %d templates from one exporter", s.max)
	}
	s.m[k] = tmpl
	return nil
}

func (s *templateStore) GetTemplate(version uint16, domain uint32, id uint16) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t, ok := s.m[templateKey(version, domain, id)]; ok {
		return t, nil
	}
	return nil, netflow.ErrorTemplateNotFound
}

func (s *templateStore) RemoveTemplate(version uint16, domain uint32, id uint16) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := templateKey(version, domain, id)
	t, ok := s.m[k]
	if !ok {
		return nil, netflow.ErrorTemplateNotFound
	}
	delete(s.m, k)
	return t, nil
}

func (s *templateStore) GetTemplates() netflow.FlowBaseTemplateSet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(netflow.FlowBaseTemplateSet, len(s.m))
	for k, v := range s.m {
		out[k] = v
	}
	return out
}

// samplingStore is goflow2's SamplingRateSystem with a cap.
type samplingStore struct {
	mu sync.Mutex
	m  map[uint64]uint32
}

func newSamplingStore() *samplingStore { return &samplingStore{m: map[uint64]uint32{}} }

func (s *samplingStore) AddSamplingRate(version uint16, domain uint32, rate uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := uint64(version)<<32 | uint64(domain)
	if _, ok := s.m[k]; ok || len(s.m) < maxSamplingDomains {
		s.m[k] = rate
	}
}

func (s *samplingStore) GetSamplingRate(version uint16, domain uint32) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.m[uint64(version)<<32|uint64(domain)]; ok {
		return r, nil
	}
	return 0, errors.New("no sampling rate")
}
