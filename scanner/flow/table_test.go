package flow

import (
	"fmt"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/camsweep/camsweep/scanner/evidence"
)

func rec(src, dst string, bytes uint64, at time.Time) Record {
	return Record{Src: netip.MustParseAddrPort(src), Dst: netip.MustParseAddrPort(dst), Proto: 6, Bytes: bytes, Packets: 1, Start: at, End: at, Source: evidence.SourceMirror}
}

func TestTableOrientsByServicePort(t *testing.T) {
	tests := []struct {
		name          string
		src, dst      string
		services      []uint16
		server        string
		port          uint16
		serverSentAll bool
	}{
		{"client to RTSP", "10.0.0.9:50123", "10.0.0.1:554", nil, "10.0.0.1", 554, false},
		{"RTSP answer", "10.0.0.1:554", "10.0.0.9:50123", nil, "10.0.0.1", 554, true},
		{"Dahua SDK port above the client's", "10.0.0.9:3000", "10.0.0.1:37777", nil, "10.0.0.1", 37777, false},
		{"a site's RTSP stand-in port", "10.0.0.9:4000", "10.0.0.1:10554", []uint16{10554}, "10.0.0.1", 10554, false},
		{"low port wins", "10.0.0.9:40000", "10.0.0.1:873", nil, "10.0.0.1", 873, false},
		{"lower port wins when both are high", "10.0.0.1:6000", "10.0.0.9:50000", nil, "10.0.0.1", 6000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := NewTable(TableOptions{ServicePorts: tt.services})
			table.Add(rec(tt.src, tt.dst, 100, now))
			fs := table.Flows(time.Time{})
			if len(fs) != 1 {
				t.Fatalf("flows %+v", fs)
			}
			f := fs[0]
			if f.Server.String() != tt.server || f.Port != tt.port {
				t.Errorf("server %s:%d, want %s:%d", f.Server, f.Port, tt.server, tt.port)
			}
			if got := f.ServerBytes == 100; got != tt.serverSentAll {
				t.Errorf("server bytes %d client bytes %d", f.ServerBytes, f.ClientBytes)
			}
		})
	}
}

func TestTableOneEntryPerConversation(t *testing.T) {
	table := NewTable(TableOptions{})
	// A guess first (both ports high, lower one taken as the server),
	// then the handshake saying otherwise: the entry keeps its side.
	table.Add(rec("10.0.0.1:6000", "10.0.0.9:50000", 10, now))
	r := rec("10.0.0.9:50000", "10.0.0.1:6000", 5, now)
	r.Role = RoleSrcServer
	table.Add(r)
	if fs := table.Flows(time.Time{}); len(fs) != 1 || fs[0].ServerBytes != 10 || fs[0].ClientBytes != 5 {
		t.Errorf("flows %+v, want one entry with 10 bytes from the server and 5 from the client", fs)
	}
}

func TestTableWatch(t *testing.T) {
	table := NewTable(TableOptions{Watch: []netip.Prefix{netip.MustParsePrefix("10.20.8.0/22")}})
	table.Add(rec("10.99.0.1:5000", "10.99.0.2:554", 1, now))
	table.Add(rec("10.99.0.1:5000", "10.20.8.11:554", 1, now))
	st := table.Stats()
	if st.Entries != 1 || st.Unwatched != 1 {
		t.Errorf("stats %+v, want one entry and one unwatched record", st)
	}
}

// TestTableFloodKeepsStreams: a flood of short flows, ten times the
// table's size, leaves the table at its cap and every video stream in it.
func TestTableFloodKeepsStreams(t *testing.T) {
	const max = 1000
	table := NewTable(TableOptions{MaxFlows: max})
	for i := range 20 {
		table.Add(rec(fmt.Sprintf("10.20.30.40:%d", 50000+i), fmt.Sprintf("10.20.8.%d:554", 10+i), 5<<20, now))
	}
	for i := range 10 * max {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}), 40000)
		table.Add(Record{Src: src, Dst: netip.MustParseAddrPort("10.20.8.10:80"), Proto: 6, Bytes: 60, Packets: 1, Start: now, End: now})
		// The streams keep flowing during the flood.
		if i%500 == 0 {
			for j := range 20 {
				table.Add(rec(fmt.Sprintf("10.20.8.%d:554", 10+j), fmt.Sprintf("10.20.30.40:%d", 50000+j), 1<<20, now))
			}
		}
	}
	st := table.Stats()
	if st.Entries != max {
		t.Errorf("entries %d, want the cap %d", st.Entries, max)
	}
	if st.Evicted != 10*max+20-max {
		t.Errorf("evicted %d, want %d", st.Evicted, 10*max+20-max)
	}
	streams := 0
	for _, f := range table.Flows(time.Time{}) {
		if f.Port == 554 && f.Client == recorder {
			streams++
		}
	}
	if streams != 20 {
		t.Errorf("%d of 20 streams survived the flood", streams)
	}
}

func TestTableExpire(t *testing.T) {
	table := NewTable(TableOptions{})
	table.Add(rec("10.0.0.9:50000", "10.0.0.1:554", 1, now.Add(-2*time.Hour)))
	table.Add(rec("10.0.0.8:50000", "10.0.0.1:554", 1, now))
	if got := len(table.Flows(now.Add(-time.Hour))); got != 1 {
		t.Errorf("flows since an hour ago: %d, want 1", got)
	}
	if n := table.Expire(now.Add(-time.Hour)); n != 1 || table.Stats().Entries != 1 {
		t.Errorf("Expire dropped %d, %d left; want 1 and 1", n, table.Stats().Entries)
	}
}

// BenchmarkTableFlood measures the memory a flood of short flows (every
// one a new client) costs the bounded table, side by side with the
// baseline of an unbounded map holding the same entries. Run with
// -benchtime=1x; heap-MB is the live heap after the flood.
func BenchmarkTableFlood(b *testing.B) {
	const flows = 1_000_000
	records := func(yield func(Record)) {
		dst := netip.MustParseAddrPort("10.20.8.10:554")
		for i := range flows {
			src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{172, byte(16 + i>>16), byte(i >> 8), byte(i)}), 40000)
			yield(Record{Src: src, Dst: dst, Proto: 6, Bytes: 60, Packets: 1, Start: now, End: now})
		}
	}
	b.Run("bounded-65536", func(b *testing.B) {
		for b.Loop() {
			table := NewTable(TableOptions{})
			before := liveHeap()
			records(table.Add)
			b.ReportMetric(float64(liveHeap()-before)/(1<<20), "heap-MB")
			b.ReportMetric(float64(table.Stats().Entries), "entries")
			runtime.KeepAlive(table)
		}
	})
	b.Run("baseline-unbounded-map", func(b *testing.B) {
		for b.Loop() {
			m := map[Key]*entry{}
			before := liveHeap()
			records(func(r Record) {
				k := Key{Server: r.Dst.Addr(), Client: r.Src.Addr(), Port: r.Dst.Port(), Proto: r.Proto}
				e := m[k]
				if e == nil {
					e = &entry{key: k}
					m[k] = e
				}
				e.clientBytes += r.Bytes
			})
			b.ReportMetric(float64(liveHeap()-before)/(1<<20), "heap-MB")
			b.ReportMetric(float64(len(m)), "entries")
			runtime.KeepAlive(m)
		}
	})
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
