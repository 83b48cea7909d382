package scantest

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// FlowRecord is one unidirectional flow as a router exports it.
type FlowRecord struct {
	Src, Dst netip.AddrPort
	Proto    uint8
	Bytes    uint64
	Packets  uint64
	Start    time.Time
	End      time.Time
}

// ExportOptions shape an exported datagram.
type ExportOptions struct {
	Sequence uint32
	// Domain is the NetFlow v9 source id / IPFIX observation domain.
	Domain uint32
	// Now is the export time; Boot when the exporter started (v9 times
	// are milliseconds of uptime).
	Now, Boot time.Time
	// Sampling, when above 1, announces "1 in N packets": in an options
	// template and record (as Cisco IOS and softflowd do) or, with
	// SamplingInRecords, as field 34 in every data record.
	Sampling          uint32
	SamplingInRecords bool
	// PSAMP announces IPFIX sampling as softflowd does (RFC 5477):
	// samplingPacketInterval 1 and samplingPacketSpace N-1.
	PSAMP bool
}

// Information elements used (NetFlow v9 field types, RFC 3954 section 8,
// which IPFIX keeps for these numbers, RFC 7012).
const (
	ieOctets        = 1
	iePackets       = 2
	ieProtocol      = 4
	ieSrcPort       = 7
	ieSrcIPv4       = 8
	ieDstPort       = 11
	ieDstIPv4       = 12
	ieLastSwitched  = 21
	ieFirstSwitched = 22
	ieSampling      = 34
	ieSamplingAlgo  = 35
	ieFlowStartMs   = 152
	ieFlowEndMs     = 153
)

type field struct{ id, size uint16 }

func dataFields(ipfix, sampling bool) []field {
	fs := []field{{ieSrcIPv4, 4}, {ieDstIPv4, 4}, {ieSrcPort, 2}, {ieDstPort, 2}, {ieProtocol, 1}, {ieOctets, 8}, {iePackets, 8}}
	if ipfix {
		fs = append(fs, field{ieFlowStartMs, 8}, field{ieFlowEndMs, 8})
	} else {
		fs = append(fs, field{ieFirstSwitched, 4}, field{ieLastSwitched, 4})
	}
	if sampling {
		fs = append(fs, field{ieSampling, 4})
	}
	return fs
}

const (
	dataTemplateID   = 256
	optionTemplateID = 257
)

// EncodeNetFlowV9 renders records (IPv4 only) as one NetFlow v9 export
// packet (RFC 3954): a template flowset, an options template and record
// when sampling is announced that way, and a data flowset.
func EncodeNetFlowV9(recs []FlowRecord, o ExportOptions) []byte {
	inRec := o.Sampling > 1 && o.SamplingInRecords
	fs := dataFields(false, inRec)
	var sets [][]byte
	sets = append(sets, templateSet(0, dataTemplateID, fs, false))
	if o.Sampling > 1 && !inRec {
		// Options template (flowset id 1): template id, scope length and
		// option length in bytes, scope System (1) of 4 bytes, options
		// SAMPLING_INTERVAL and SAMPLING_ALGORITHM.
		b := u16s(optionTemplateID, 4, 8, 1, 4, ieSampling, 4, ieSamplingAlgo, 1)
		sets = append(sets, setBytes(1, b))
		rec := append(u32(0), u32(o.Sampling)...)
		rec = append(rec, 1)
		sets = append(sets, setBytes(optionTemplateID, rec))
	}
	sets = append(sets, setBytes(dataTemplateID, dataRecords(recs, fs, o)))
	count := 1 + len(recs)
	if o.Sampling > 1 && !inRec {
		count += 2
	}
	hdr := u16s(9, uint16(count))
	hdr = append(hdr, u32(uint32(o.Now.Sub(o.Boot).Milliseconds()))...)
	hdr = append(hdr, u32(uint32(o.Now.Unix()))...)
	hdr = append(hdr, u32(o.Sequence)...)
	hdr = append(hdr, u32(o.Domain)...)
	for _, s := range sets {
		hdr = append(hdr, s...)
	}
	return hdr
}

// EncodeIPFIX renders records (IPv4 only) as one IPFIX message (RFC 7011):
// a template set, an options template and record when sampling is
// announced that way, and a data set.
func EncodeIPFIX(recs []FlowRecord, o ExportOptions) []byte {
	inRec := o.Sampling > 1 && o.SamplingInRecords
	fs := dataFields(true, inRec)
	var sets [][]byte
	sets = append(sets, templateSet(2, dataTemplateID, fs, true))
	switch {
	case o.Sampling > 1 && o.PSAMP:
		// Options template set (id 3), as softflowd writes it: scope
		// meteringProcessId (143), then samplingPacketInterval (305),
		// samplingPacketSpace (306) and selectorAlgorithm (304).
		b := u16s(optionTemplateID, 4, 1, 143, 4, 305, 4, 306, 4, 304, 2)
		sets = append(sets, setBytes(3, b))
		rec := append(u32(1), u32(1)...)
		rec = append(rec, u32(o.Sampling-1)...)
		rec = append(rec, u16s(1)...)
		sets = append(sets, setBytes(optionTemplateID, rec))
	case o.Sampling > 1 && !inRec:
		// Options template set (id 3): 3 fields, 1 scope field
		// (observationDomainId 149), then samplingInterval and
		// samplingAlgorithm.
		b := u16s(optionTemplateID, 3, 1, 149, 4, ieSampling, 4, ieSamplingAlgo, 1)
		sets = append(sets, setBytes(3, b))
		rec := append(u32(o.Domain), u32(o.Sampling)...)
		rec = append(rec, 1)
		sets = append(sets, setBytes(optionTemplateID, rec))
	}
	sets = append(sets, setBytes(dataTemplateID, dataRecords(recs, fs, o)))
	var body []byte
	for _, s := range sets {
		body = append(body, s...)
	}
	hdr := u16s(10, uint16(16+len(body)))
	hdr = append(hdr, u32(uint32(o.Now.Unix()))...)
	hdr = append(hdr, u32(o.Sequence)...)
	hdr = append(hdr, u32(o.Domain)...)
	return append(hdr, body...)
}

func templateSet(setID, tmplID uint16, fs []field, ipfix bool) []byte {
	b := u16s(tmplID, uint16(len(fs)))
	for _, f := range fs {
		b = append(b, u16s(f.id, f.size)...)
	}
	return setBytes(setID, b)
}

func dataRecords(recs []FlowRecord, fs []field, o ExportOptions) []byte {
	var b []byte
	for _, r := range recs {
		for _, f := range fs {
			switch f.id {
			case ieSrcIPv4:
				a := r.Src.Addr().As4()
				b = append(b, a[:]...)
			case ieDstIPv4:
				a := r.Dst.Addr().As4()
				b = append(b, a[:]...)
			case ieSrcPort:
				b = append(b, u16s(r.Src.Port())...)
			case ieDstPort:
				b = append(b, u16s(r.Dst.Port())...)
			case ieProtocol:
				b = append(b, r.Proto)
			case ieOctets:
				b = binary.BigEndian.AppendUint64(b, r.Bytes)
			case iePackets:
				b = binary.BigEndian.AppendUint64(b, r.Packets)
			case ieFirstSwitched:
				b = append(b, u32(uint32(r.Start.Sub(o.Boot).Milliseconds()))...)
			case ieLastSwitched:
				b = append(b, u32(uint32(r.End.Sub(o.Boot).Milliseconds()))...)
			case ieFlowStartMs:
				b = binary.BigEndian.AppendUint64(b, uint64(r.Start.UnixMilli()))
			case ieFlowEndMs:
				b = binary.BigEndian.AppendUint64(b, uint64(r.End.UnixMilli()))
			case ieSampling:
				b = append(b, u32(o.Sampling)...)
			}
		}
	}
	return b
}

// setBytes prefixes a set/flowset body with its id and length, padded to
// four bytes as both RFCs allow.
func setBytes(id uint16, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	return append(u16s(id, uint16(4+len(body))), body...)
}

func u16s(vs ...uint16) []byte {
	b := make([]byte, 0, 2*len(vs))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint16(b, v)
	}
	return b
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// SFlowSample is one sampled packet: its first bytes as captured (an
// Ethernet frame), its length on the wire, and the agent's sampling rate.
type SFlowSample struct {
	Header       []byte
	FrameLength  uint32
	SamplingRate uint32
}

// EncodeSFlow renders samples as one sFlow v5 datagram (sFlow.org's
// sFlow Version 5 specification): agent address, then a flow sample
// (format 1) per packet carrying a raw packet header record (format 1,
// header protocol 1 = Ethernet).
func EncodeSFlow(agent netip.Addr, samples []SFlowSample, o ExportOptions) []byte {
	a := agent.As4()
	b := append(u32(5), u32(1)...) // version 5, IPv4 agent
	b = append(b, a[:]...)
	b = append(b, u32(0)...)          // sub-agent id
	b = append(b, u32(o.Sequence)...) // datagram sequence
	b = append(b, u32(uint32(o.Now.Sub(o.Boot).Milliseconds()))...)
	b = append(b, u32(uint32(len(samples)))...)
	for i, s := range samples {
		hdr := s.Header
		for len(hdr)%4 != 0 {
			hdr = append(hdr[:len(hdr):len(hdr)], 0)
		}
		rec := u32(1) // header protocol: Ethernet
		rec = append(rec, u32(s.FrameLength)...)
		rec = append(rec, u32(0)...) // stripped
		rec = append(rec, u32(uint32(len(s.Header)))...)
		rec = append(rec, hdr...)
		sample := u32(o.Sequence*100 + uint32(i)) // sample sequence
		sample = append(sample, u32(1)...)        // source id: ifIndex 1
		sample = append(sample, u32(s.SamplingRate)...)
		sample = append(sample, u32(s.SamplingRate*uint32(i+1))...) // sample pool
		sample = append(sample, u32(0)...)                          // drops
		sample = append(sample, u32(1)...)                          // input
		sample = append(sample, u32(2)...)                          // output
		sample = append(sample, u32(1)...)                          // one record
		sample = append(sample, u32(1)...)                          // raw packet header
		sample = append(sample, u32(uint32(len(rec)))...)
		sample = append(sample, rec...)
		b = append(b, u32(1)...) // flow sample
		b = append(b, u32(uint32(len(sample)))...)
		b = append(b, sample...)
	}
	return b
}

// EncodeNetFlowV5 renders records (IPv4 only) as one NetFlow v5 export
// packet (Cisco's fixed format: a 24-byte header and 48-byte records).
func EncodeNetFlowV5(recs []FlowRecord, o ExportOptions) []byte {
	b := u16s(5, uint16(len(recs)))
	b = append(b, u32(uint32(o.Now.Sub(o.Boot).Milliseconds()))...)
	b = append(b, u32(uint32(o.Now.Unix()))...)
	b = append(b, u32(0)...) // residual nanoseconds
	b = append(b, u32(o.Sequence)...)
	b = append(b, 0, 0) // engine type and id
	interval := uint16(0)
	if o.Sampling > 1 {
		interval = 1<<14 | uint16(o.Sampling&0x3fff) // mode 1: deterministic
	}
	b = append(b, u16s(interval)...)
	for _, r := range recs {
		s, d := r.Src.Addr().As4(), r.Dst.Addr().As4()
		b = append(b, s[:]...)
		b = append(b, d[:]...)
		b = append(b, 0, 0, 0, 0) // next hop
		b = append(b, u16s(1, 2)...)
		b = append(b, u32(uint32(r.Packets))...)
		b = append(b, u32(uint32(r.Bytes))...)
		b = append(b, u32(uint32(r.Start.Sub(o.Boot).Milliseconds()))...)
		b = append(b, u32(uint32(r.End.Sub(o.Boot).Milliseconds()))...)
		b = append(b, u16s(r.Src.Port(), r.Dst.Port())...)
		b = append(b, 0, 0x18, r.Proto, 0) // pad, TCP flags, protocol, ToS
		b = append(b, u16s(0, 0)...)       // AS numbers
		b = append(b, 24, 24, 0, 0)        // masks, pad
	}
	return b
}
