package scantest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// MilestoneVMS is a fake Milestone XProtect API Gateway (2023 R2 and
// later), as its public documentation describes it: the identity
// provider's token endpoint (POST /API/IDP/connect/token, form-encoded,
// grant_type client_credentials or password with client_id
// GrantValidatorClient, answering {"access_token", "expires_in",
// "token_type": "Bearer"}), and the Configuration REST API's collections
// under /API/rest/v1 ({"array": [...]}, each object with id, name,
// displayName, enabled and relations.parent), behind a Bearer token. The
// hardware address is stored as a URL ("http://10.20.8.11/"), and the MAC
// only in GET /API/rest/v1/hardware/{id}/hardwareDriverSettings
// (hardwareDriverSettings.macAddress), as on a real XProtect.
type MilestoneVMS struct {
	ClientID, ClientSecret string
	Username, Password     string
	RecordingServers       []MilestoneRecordingServer
	Hardware               []MilestoneHardware

	mu       sync.Mutex
	tokens   map[string]bool
	requests map[string]int
}

// MilestoneRecordingServer is a recording server of the fake.
type MilestoneRecordingServer struct{ ID, Name, HostName string }

// MilestoneHardware is a hardware device with its cameras.
type MilestoneHardware struct {
	ID, Name, Address, MAC, Serial, Model string
	Enabled                               bool
	RecordingServer                       string // its id
	Cameras                               []MilestoneCamera
}

// MilestoneCamera is one camera channel of a hardware device.
type MilestoneCamera struct {
	ID, Name           string
	Enabled, Recording bool
}

// Requests returns how many requests each path got.
func (v *MilestoneVMS) Requests(path string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.requests[path]
}

// ServeHTTP implements the gateway.
func (v *MilestoneVMS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v.mu.Lock()
	if v.requests == nil {
		v.requests, v.tokens = map[string]int{}, map[string]bool{}
	}
	v.requests[r.URL.Path]++
	v.mu.Unlock()
	if r.URL.Path == "/API/IDP/connect/token" {
		v.token(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/API/rest/v1/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	v.mu.Lock()
	valid := v.tokens[tok]
	v.mu.Unlock()
	if !valid {
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, `{"error":{"httpCode":401,"details":[{"errorText":"Unauthorized"}]}}`, http.StatusUnauthorized)
		return
	}
	if r.Method != http.MethodGet {
		http.Error(w, "read-only fake", http.StatusMethodNotAllowed)
		return
	}
	parts := strings.Split(rest, "/")
	switch {
	case rest == "recordingServers":
		arr := []map[string]any{}
		for _, s := range v.RecordingServers {
			arr = append(arr, map[string]any{"id": s.ID, "name": s.Name, "displayName": s.Name, "hostName": s.HostName, "enabled": true,
				"relations": map[string]any{"self": map[string]any{"type": "recordingServers", "id": s.ID}}})
		}
		writeArray(w, arr)
	case rest == "hardware":
		arr := []map[string]any{}
		for _, h := range v.Hardware {
			arr = append(arr, map[string]any{"id": h.ID, "name": h.Name, "displayName": h.Name, "address": h.Address, "enabled": h.Enabled,
				"userName": "root", "password": "***",
				"relations": map[string]any{"parent": map[string]any{"type": "recordingServers", "id": h.RecordingServer}, "self": map[string]any{"type": "hardware", "id": h.ID}}})
		}
		writeArray(w, arr)
	case rest == "cameras":
		arr := []map[string]any{}
		for _, h := range v.Hardware {
			for i, c := range h.Cameras {
				arr = append(arr, map[string]any{"id": c.ID, "name": c.Name, "displayName": c.Name, "enabled": c.Enabled, "channel": i, "recordingEnabled": c.Recording,
					"relations": map[string]any{"parent": map[string]any{"type": "hardware", "id": h.ID}, "self": map[string]any{"type": "cameras", "id": c.ID}}})
			}
		}
		writeArray(w, arr)
	case len(parts) == 3 && parts[0] == "hardware" && parts[2] == "hardwareDriverSettings":
		for _, h := range v.Hardware {
			if h.ID == parts[1] {
				writeArray(w, []map[string]any{{"displayName": "Settings", "hardwareDriverSettings": map[string]any{
					"macAddress": h.MAC, "serialNumber": h.Serial, "detectedModelName": h.Model, "firmwareVersion": "",
				}, "relations": map[string]any{"parent": map[string]any{"type": "hardware", "id": h.ID}}}})
				return
			}
		}
		http.Error(w, `{"error":{"httpCode":404}}`, http.StatusNotFound)
	default:
		http.Error(w, `{"error":{"httpCode":404,"details":[{"errorText":"Unknown resource"}]}}`, http.StatusNotFound)
	}
}

func (v *MilestoneVMS) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	f := r.PostForm
	ok := false
	switch f.Get("grant_type") {
	case "client_credentials":
		ok = v.ClientID != "" && f.Get("client_id") == v.ClientID && f.Get("client_secret") == v.ClientSecret
	case "password":
		ok = v.Username != "" && f.Get("client_id") == "GrantValidatorClient" && f.Get("username") == v.Username && f.Get("password") == v.Password
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := hex.EncodeToString(b)
	v.mu.Lock()
	v.tokens[tok] = true
	v.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "expires_in": 3600, "token_type": "Bearer", "scope": "managementserver"})
}

func writeArray(w http.ResponseWriter, arr []map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(map[string]any{"array": arr})
}
