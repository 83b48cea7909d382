//go:build linux

package netlab

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/camsweep/camsweep/scanner/link"
)

// MirrorAll makes the router's leg interfaces a SPAN source: every frame
// any of them receives is copied to the mirror link (tc mirred, the
// kernel's SPAN). Each packet between legs enters the router exactly
// once, so the sensor sees both directions of every conversation once.
// The lab must have been built with RoutedConfig.Mirror.
func (r *Routed) MirrorAll() error {
	if r.routerMirrorIf == "" {
		return errors.New("netlab: mirror: the lab has no mirror link (RoutedConfig.Mirror)")
	}
	var b strings.Builder
	for _, l := range r.Legs {
		fmt.Fprintf(&b, "qdisc add dev %s ingress\n", l.RouterIf)
		fmt.Fprintf(&b, "filter add dev %s parent ffff: protocol all u32 match u32 0 0 action mirred egress mirror dev %s\n", l.RouterIf, r.routerMirrorIf)
	}
	cmd := exec.Command("tc", "-netns", r.RouterNS, "-batch", "-")
	cmd.Stdin = strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("netlab: tc mirror: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// OpenMirror opens a raw FrameConn on the scanner namespace's end of the
// mirror link that receives every frame, behind Guard.
func (r *Routed) OpenMirror() (link.FrameConn, error) {
	var conn link.FrameConn
	err := r.InScanner(func() error {
		// A span port has no address, which ChooseInterface wants.
		nif, err := net.InterfaceByName(r.MirrorIf)
		if err != nil {
			return fmt.Errorf("netlab: mirror: %w", err)
		}
		ifc := link.Interface{Name: nif.Name, Index: nif.Index, MAC: nif.HardwareAddr, MTU: nif.MTU, Requested: true}
		all, err := link.MirrorFilter()
		if err != nil {
			return err
		}
		conn, err = link.OpenFrameConn(ifc, link.FrameOptions{Filter: all, Promiscuous: true, Guard: Guard})
		return err
	})
	return conn, err
}
