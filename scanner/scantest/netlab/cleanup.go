//go:build linux

package netlab

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// closer is a live lab of any layout (Lab, Routed).
type closer interface{ Close() error }

// live holds the labs of this process, for teardown on a signal.
var live struct {
	sync.Mutex
	labs    map[closer]bool
	watched bool
}

func register(l closer) {
	live.Lock()
	defer live.Unlock()
	if live.labs == nil {
		live.labs = map[closer]bool{}
	}
	live.labs[l] = true
	if !live.watched {
		live.watched = true
		go watchSignals()
	}
}

func unregister(l closer) {
	live.Lock()
	delete(live.labs, l)
	live.Unlock()
}

// watchSignals tears every live lab down on SIGINT or SIGTERM, then lets
// the signal take its default course.
func watchSignals() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	sig := <-ch
	live.Lock()
	labs := make([]closer, 0, len(live.labs))
	for l := range live.labs {
		labs = append(labs, l)
	}
	live.Unlock()
	for _, l := range labs {
		_ = l.Close()
	}
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
}

// SweepStale deletes lab namespaces (and any csl* link in the calling
// namespace) left by runs whose process is gone. A live process's labs
// are left alone, so concurrent test binaries do not tear each other down.
func SweepStale() error {
	var errs []error
	names, err := Namespaces()
	if err != nil {
		return err
	}
	for _, n := range names {
		if pid, ok := ownerPID(strings.TrimPrefix(n, "csl-")); ok && !alive(pid) {
			if err := ip("netns", "del", n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	links, err := Links()
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, n := range links {
		if pid, ok := ownerPID(strings.TrimPrefix(n, "csl")); ok && !alive(pid) {
			if err := ip("link", "del", n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ownerPID reads the process id out of a lab id: its first five
// characters are the pid in base 36.
func ownerPID(rest string) (int, bool) {
	if len(rest) < 5 {
		return 0, false
	}
	pid, err := strconv.ParseInt(rest[:5], 36, 32)
	return int(pid), err == nil && pid > 0
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Namespaces lists the named network namespaces that look like labs.
func Namespaces() ([]string, error) {
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		return nil, fmt.Errorf("netlab: ip netns list: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 && strings.HasPrefix(f[0], "csl-") {
			names = append(names, f[0])
		}
	}
	return names, nil
}

// Links lists links in the calling thread's namespace whose names look
// like a lab's.
func Links() ([]string, error) {
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	if err != nil {
		return nil, fmt.Errorf("netlab: ip link: %w", err)
	}
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		if strings.HasPrefix(name, "csl") {
			names = append(names, name)
		}
	}
	return names, nil
}

// Leftovers lists this process's namespaces and links still present, for
// a final check that teardown left nothing behind.
func Leftovers() ([]string, error) {
	ns, err := Namespaces()
	if err != nil {
		return nil, err
	}
	links, err := Links()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range ns {
		if strings.HasPrefix(n, "csl-"+pid36) {
			out = append(out, "netns "+n)
		}
	}
	for _, n := range links {
		if strings.HasPrefix(n, "csl"+pid36) {
			out = append(out, "link "+n)
		}
	}
	return out, nil
}
