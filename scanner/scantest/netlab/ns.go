//go:build linux

package netlab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// netnsDir is where `ip netns` keeps its named namespaces.
const netnsDir = "/var/run/netns"

// do runs fn on a locked OS thread set into the named namespace, and puts
// the thread back before unlocking it. If the thread cannot be restored it
// is left locked, so the runtime throws it away rather than reuse a thread
// in the wrong namespace. Sockets fn opens stay in the namespace after fn
// returns; goroutines fn starts do not run in it.
func do(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: own namespace: %w", err)
			return
		}
		defer unix.Close(orig)
		target, err := unix.Open(filepath.Join(netnsDir, name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: namespace %s: %w", name, err)
			return
		}
		defer unix.Close(target)
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("netlab: enter %s: %w", name, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("netlab: leave %s: %w", name, err))
			return // thread stays locked and dies with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// nsID identifies a network namespace by device and inode.
type nsID struct{ dev, ino uint64 }

func statNS(path string) (nsID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return nsID{}, err
	}
	return nsID{uint64(st.Dev), st.Ino}, nil
}

// owned holds the namespaces live labs of this process created.
var owned struct {
	sync.Mutex
	ids map[nsID]string
}

func own(name string) error {
	id, err := statNS(filepath.Join(netnsDir, name))
	if err != nil {
		return fmt.Errorf("netlab: stat namespace %s: %w", name, err)
	}
	owned.Lock()
	defer owned.Unlock()
	if owned.ids == nil {
		owned.ids = map[nsID]string{}
	}
	owned.ids[id] = name
	return nil
}

func disown(name string) {
	owned.Lock()
	defer owned.Unlock()
	for id, n := range owned.ids {
		if n == name {
			delete(owned.ids, id)
		}
	}
}

// Guard refuses (returns an error) unless the calling thread is inside a
// namespace a live lab of this process created. Pass it as
// link.FrameOptions.Guard so no raw socket is ever opened on the
// host's own interfaces. It must run on the thread that opens the socket,
// which OpenFrameConn does.
func Guard() error {
	id, err := statNS("/proc/thread-self/ns/net")
	if err != nil {
		return fmt.Errorf("netlab: guard: %w", err)
	}
	owned.Lock()
	defer owned.Unlock()
	if _, ok := owned.ids[id]; !ok {
		return errors.New("netlab: guard: this thread is not in a namespace a lab created; refusing a raw socket")
	}
	return nil
}

// writeSysctl sets a /proc/sys value; called inside do, it sets the
// namespace's own copy of a net.* setting.
func writeSysctl(key, value string) error {
	path := filepath.Join("/proc/sys", filepath.FromSlash(key))
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("netlab: sysctl %s: %w", key, err)
	}
	return nil
}
