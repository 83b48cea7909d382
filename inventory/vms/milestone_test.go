package vms

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/scanner/scantest"
)

func fakeVMS() *scantest.MilestoneVMS {
	return &scantest.MilestoneVMS{
		ClientID: "camsweep", ClientSecret: "s3cret-client-value",
		Username: "camsweep-reader", Password: "s3cret-user-value",
		RecordingServers: []scantest.MilestoneRecordingServer{{ID: "rs-1", Name: "NOH-RS01", HostName: "noh-rs01.regionh.dk"}},
		Hardware: []scantest.MilestoneHardware{
			{ID: "hw-1", Name: "AXIS P3245-LVE (10.20.8.20)", Address: "http://10.20.8.20/", MAC: "AC:CC:8E:A2:72:31", Serial: "ACCC8EA27231", Model: "AXIS P3245-LVE",
				Enabled: true, RecordingServer: "rs-1", Cameras: []scantest.MilestoneCamera{{ID: "cam-1", Name: "Indgang Nord", Enabled: true, Recording: true}}},
			{ID: "hw-2", Name: "Encoder", Address: "http://10.20.8.21:8080/", Enabled: true, RecordingServer: "rs-1",
				Cameras: []scantest.MilestoneCamera{{ID: "cam-2", Enabled: true, Recording: false}, {ID: "cam-3", Enabled: false, Recording: true}}},
			{ID: "hw-3", Name: "Old", Address: "cam-old.regionh.dk", Enabled: false, RecordingServer: "rs-1"},
		},
	}
}

func writeCreds(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vms.yaml")
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMilestoneFetch(t *testing.T) {
	for _, tt := range []struct{ name, creds string }{
		{"client credentials", "client_id: camsweep\nclient_secret: s3cret-client-value\n"},
		{"basic user", "username: camsweep-reader\npassword: s3cret-user-value\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakeVMS()
			srv := httptest.NewTLSServer(fake)
			defer srv.Close()
			creds, err := LoadCredentials(writeCreds(t, tt.creds, 0o600))
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			m, err := NewMilestone(Config{URL: srv.URL, MACs: true}, creds, zerolog.New(&logs))
			if err != nil {
				t.Fatal(err)
			}
			m.http.Transport = srv.Client().Transport
			inv, err := m.Fetch(context.Background())
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if inv.Source != "milestone" || len(inv.Hardware) != 3 || len(inv.RecordingServers) != 1 {
				t.Fatalf("inventory %+v", inv)
			}
			h := inv.Hardware[0]
			if h.Address != netip.MustParseAddr("10.20.8.20") || h.MAC != "ac:cc:8e:a2:72:31" || h.Serial != "ACCC8EA27231" || h.RecordingServer != "NOH-RS01" || !h.Enabled || h.Cameras != 1 || h.CamerasRecording != 1 {
				t.Errorf("hardware 1 %+v", h)
			}
			if h := inv.Hardware[1]; h.Address != netip.MustParseAddr("10.20.8.21") || h.Cameras != 2 || h.CamerasRecording != 0 {
				t.Errorf("hardware 2 (no camera recording) %+v", h)
			}
			if h := inv.Hardware[2]; h.Address.IsValid() || h.Host != "cam-old.regionh.dk" || h.Enabled || h.Cameras != 0 {
				t.Errorf("hardware 3 (a name, disabled, no cameras) %+v", h)
			}
			if n := fake.Requests("/API/rest/v1/hardware/hw-2/hardwareDriverSettings"); n != 1 {
				t.Errorf("driver settings of hw-2 read %d times", n)
			}
			for _, s := range []string{"s3cret-client-value", "s3cret-user-value"} {
				if strings.Contains(logs.String(), s) || strings.Contains(fmt.Sprintf("%v %+v %#v", creds, creds, creds), s) {
					t.Errorf("a secret leaked into logs or formatting")
				}
			}
		})
	}
}

func TestMilestoneRefusals(t *testing.T) {
	fake := fakeVMS()
	srv := httptest.NewTLSServer(fake)
	defer srv.Close()
	wrong := Credentials{ClientID: "camsweep", ClientSecret: secret{"wrong-secret-value"}}
	m, err := NewMilestone(Config{URL: srv.URL}, wrong, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	m.http.Transport = srv.Client().Transport
	_, err = m.Fetch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), "wrong-secret-value") {
		t.Errorf("wrong secret: %v, want the OAuth error code and no secret", err)
	}
	if fake.Requests("/API/rest/v1/hardware") != 0 {
		t.Error("the hardware list was asked for without a token")
	}
	for _, u := range []string{"http://vms.regionh.dk", "ftp://x", "vms.regionh.dk"} {
		if _, err := NewMilestone(Config{URL: u}, wrong, zerolog.Nop()); err == nil {
			t.Errorf("NewMilestone accepted %q", u)
		}
	}
	if _, err := NewMilestone(Config{URL: "http://127.0.0.1:9"}, wrong, zerolog.Nop()); err != nil {
		t.Errorf("plain http on loopback refused: %v", err)
	}
	for _, c := range []struct {
		body string
		mode os.FileMode
	}{
		{"client_id: a\nclient_secret: b\n", 0o644},
		{"client_id: a\n", 0o600},
		{"client_id: a\nclient_secret: b\nusername: c\npassword: d\n", 0o600},
		{"client_id: a\nclient_secrt: b\n", 0o600},
	} {
		if _, err := LoadCredentials(writeCreds(t, c.body, c.mode)); err == nil {
			t.Errorf("LoadCredentials accepted %q mode %v", c.body, c.mode)
		}
	}
}

func TestMilestoneBoundsAnswers(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/token") {
			_, _ = w.Write([]byte(`{"access_token":"t","token_type":"Bearer"}`))
			return
		}
		_, _ = w.Write([]byte(`{"array":[`))
		for range 10 {
			_, _ = w.Write(bytes.Repeat([]byte(`{"id":"x"},`), 1000))
		}
		_, _ = w.Write([]byte(`{"id":"y"}]}`))
	}))
	defer srv.Close()
	m, err := NewMilestone(Config{URL: srv.URL, MaxHardware: 100}, Credentials{ClientID: "a", ClientSecret: secret{"b"}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	m.http.Transport = srv.Client().Transport
	if _, err := m.Fetch(context.Background()); err == nil || !strings.Contains(err.Error(), "more than the bound") {
		t.Errorf("10,001 hardware entries with MaxHardware 100: %v", err)
	}
}
