package scantest

import (
	"context"
	"net/netip"
	"testing"
)

func TestRecorderPullsVideo(t *testing.T) {
	p, err := PersonaByName("dahua-ipc-hdw2431t-as-s2")
	if err != nil {
		t.Fatal(err)
	}
	base := RandomBase()
	n := StartTB(t, []HostSpec{{Persona: p}}, Options{Base: base, Stream: &StreamAccount{User: "vms", Password: "rec0rder"}})
	cam := n.Hosts[0]
	ap, _ := cam.AddrPort("rtsp")
	url := "rtsp://" + ap.String() + "/cam/realmonitor?channel=1&subtype=0"
	local := netip.AddrFrom4([4]byte{127, base.Addr().As4()[1], 8, 40})
	for _, udp := range []bool{false, true} {
		res, err := PullRTSP(context.Background(), PullOptions{URL: url, User: "vms", Password: "rec0rder", UDP: udp, Bytes: 1 << 20, Local: local})
		if err != nil {
			t.Fatalf("pull (udp %v): %v", udp, err)
		}
		if res.Received < 1<<20 || res.ControlLocal.Addr() != local || res.ControlRemote != ap {
			t.Errorf("pull (udp %v): %+v", udp, res)
		}
		if udp && (res.RTPRemote.Addr() != cam.Addr || res.RTPLocal.Addr() != local) {
			t.Errorf("RTP %v -> %v, want from the camera to the recorder", res.RTPRemote, res.RTPLocal)
		}
	}
	// The wrong password gets the persona's 401, and no video.
	if _, err := PullRTSP(context.Background(), PullOptions{URL: url, User: "vms", Password: "guess", Bytes: 1, Local: local}); err == nil {
		t.Error("a pull with the wrong password got video")
	}
}
