package bounded

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"
	"time"
)

func TestReadAll(t *testing.T) {
	tests := []struct {
		size, limit int
		truncated   bool
	}{
		{10, 10, false},
		{11, 10, true},
		{0, 10, false},
		{1 << 20, 64 << 10, true},
	}
	for _, tc := range tests {
		data, tr, err := ReadAll(bytes.NewReader(make([]byte, tc.size)), int64(tc.limit))
		if err != nil || tr != tc.truncated || len(data) > tc.limit {
			t.Errorf("ReadAll(%d, %d) = %d bytes, truncated %v, %v", tc.size, tc.limit, len(data), tr, err)
		}
	}
}

// silentServer accepts connections on loopback and never answers, until
// the test ends.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func TestWatchConnUnblocksOnCancel(t *testing.T) {
	conn, err := net.Dial("tcp", silentServer(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	stop := WatchConn(ctx, conn)
	defer stop()
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err = conn.Read(make([]byte, 1))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("read returned %v after %v", err, time.Since(start))
	}
}
