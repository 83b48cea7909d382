package link

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// maxReplayFrames bounds a replay held in memory; a test capture or a
// field capture handed in for analysis is far smaller.
const maxReplayFrames = 1 << 20

// Replay is a FrameConn that plays the frames of a pcap capture to the
// reader and records what is written, so ARP and passive logic run in unit
// tests without root. After the last frame ReadFrame returns io.EOF.
type Replay struct {
	mu      sync.Mutex
	frames  [][]byte
	next    int
	written [][]byte
	closed  bool
}

// NewReplay reads a whole pcap capture (Ethernet link type) from r.
func NewReplay(r io.Reader) (*Replay, error) {
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("scanner: replay: %w", err)
	}
	if lt := pr.LinkType(); lt != layers.LinkTypeEthernet {
		return nil, fmt.Errorf("scanner: replay: link type %v, want Ethernet", lt)
	}
	rp := &Replay{}
	for {
		data, _, err := pr.ReadPacketData()
		if errors.Is(err, io.EOF) {
			return rp, nil
		}
		if err != nil {
			return nil, fmt.Errorf("scanner: replay: frame %d: %w", len(rp.frames)+1, err)
		}
		if len(rp.frames) == maxReplayFrames {
			return nil, fmt.Errorf("scanner: replay: more than %d frames", maxReplayFrames)
		}
		rp.frames = append(rp.frames, data)
	}
}

// OpenReplay reads the pcap file at path.
func OpenReplay(path string) (*Replay, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scanner: replay: %w", err)
	}
	defer f.Close()
	return NewReplay(f)
}

// ReadFrame returns the next captured frame, io.EOF after the last.
func (r *Replay) ReadFrame(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.next >= len(r.frames) {
		return nil, io.EOF
	}
	f := r.frames[r.next]
	r.next++
	return append([]byte(nil), f...), nil
}

// WriteFrame records frame; see Written.
func (r *Replay) WriteFrame(frame []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errors.New("scanner: write frame: replay closed")
	}
	r.written = append(r.written, append([]byte(nil), frame...))
	return nil
}

// Written returns copies of the frames written so far, in order.
func (r *Replay) Written() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, len(r.written))
	for i, f := range r.written {
		out[i] = append([]byte(nil), f...)
	}
	return out
}

// Close ends the replay.
func (r *Replay) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return nil
}

// Tee is a FrameConn that writes every frame read from or written to the
// wrapped conn into a pcap capture (--pcap FILE), so a scan can be shown
// to a reviewer frame by frame or replayed in a test.
type Tee struct {
	conn FrameConn
	mu   sync.Mutex
	w    *pcapgo.Writer
	c    io.Closer // closed with the tee when it owns the file
	err  error     // first capture write error, reported by Close
}

// teeSnapLen is the snapshot length written in the header: whole frames.
const teeSnapLen = 65536

// NewTee wraps conn and writes a pcap header to w.
func NewTee(conn FrameConn, w io.Writer) (*Tee, error) {
	pw := pcapgo.NewWriter(w)
	if err := pw.WriteFileHeader(teeSnapLen, layers.LinkTypeEthernet); err != nil {
		return nil, fmt.Errorf("scanner: pcap tee: %w", err)
	}
	return &Tee{conn: conn, w: pw}, nil
}

// CreateTee wraps conn and writes the capture to a new file at path.
func CreateTee(conn FrameConn, path string) (*Tee, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("scanner: pcap tee: %w", err)
	}
	t, err := NewTee(conn, f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	t.c = f
	return t, nil
}

func (t *Tee) record(frame []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	ci := gopacket.CaptureInfo{Timestamp: time.Now(), CaptureLength: len(frame), Length: len(frame)}
	if len(frame) > teeSnapLen {
		ci.CaptureLength = teeSnapLen
		frame = frame[:teeSnapLen]
	}
	t.err = t.w.WritePacket(ci, frame)
}

// ReadFrame reads from the wrapped conn and records the frame.
func (t *Tee) ReadFrame(ctx context.Context) ([]byte, error) {
	f, err := t.conn.ReadFrame(ctx)
	if err == nil {
		t.record(f)
	}
	return f, err
}

// WriteFrame records the frame and writes it to the wrapped conn. It is
// recorded even when the write fails: the capture shows what was tried.
func (t *Tee) WriteFrame(frame []byte) error {
	t.record(frame)
	return t.conn.WriteFrame(frame)
}

// Close closes the wrapped conn and the capture file, and reports a failed
// capture write (a full disk) that the scan itself carried on through.
func (t *Tee) Close() error {
	err := t.conn.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.c != nil {
		if cerr := t.c.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("scanner: pcap tee: %w", cerr)
		}
	}
	if err == nil && t.err != nil {
		err = fmt.Errorf("scanner: pcap tee: %w", t.err)
	}
	return err
}
