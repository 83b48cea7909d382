package scantest

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"

	yaml "go.yaml.in/yaml/v3"
)

// personaFiles holds the personas (one per YAML file) and the files their
// routes serve by name (body_file), such as favicons.
//
//go:embed personas
var personaFiles embed.FS

var loadPersonas = sync.OnceValues(func() ([]Persona, error) {
	return LoadPersonas(personaFiles, "personas")
})

// Personas returns every embedded persona, sorted by name.
func Personas() ([]Persona, error) {
	ps, err := loadPersonas()
	if err != nil {
		return nil, err
	}
	return slices.Clone(ps), nil
}

// PersonaByName returns the embedded persona called name.
func PersonaByName(name string) (Persona, error) {
	ps, err := loadPersonas()
	if err != nil {
		return Persona{}, err
	}
	i, found := slices.BinarySearchFunc(ps, name, func(p Persona, n string) int { return strings.Compare(p.Name, n) })
	if !found {
		return Persona{}, fmt.Errorf("scantest: persona %q: %w", name, fs.ErrNotExist)
	}
	return ps[i], nil
}

// LoadPersonas reads every *.yaml file in dir of fsys, strictly: unknown
// fields, duplicate names and bad values are errors naming the file.
func LoadPersonas(fsys fs.FS, dir string) ([]Persona, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("scantest: load personas: %w", err)
	}
	var out []Persona
	seen := map[string]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		file := path.Join(dir, e.Name())
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("scantest: load %s: %w", file, err)
		}
		p, err := ParsePersona(b)
		if err != nil {
			return nil, fmt.Errorf("scantest: load %s: %w", file, err)
		}
		if prev, dup := seen[p.Name]; dup {
			return nil, fmt.Errorf("scantest: load %s: persona %q already defined in %s", file, p.Name, prev)
		}
		for _, r := range allRoutes(p) {
			if r.BodyFile == "" {
				continue
			}
			if _, err := fs.Stat(fsys, path.Join(dir, r.BodyFile)); err != nil {
				return nil, fmt.Errorf("scantest: load %s: route %s: body_file: %w", file, r.Path, err)
			}
		}
		seen[p.Name] = file
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Persona) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// ParsePersona decodes and validates one persona document.
func ParsePersona(b []byte) (Persona, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Persona
	if err := dec.Decode(&p); err != nil {
		if errors.Is(err, io.EOF) {
			return Persona{}, errors.New("empty document")
		}
		return Persona{}, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Persona{}, errors.New("more than one YAML document; want one persona per file")
	}
	if err := p.Validate(); err != nil {
		return Persona{}, err
	}
	return p, nil
}

// Validate checks what YAML cannot: required fields, known values, and
// placeholders spelled right.
func (p Persona) Validate() error {
	if p.Name == "" {
		return errors.New("name: required")
	}
	switch p.Truth.Class {
	case "camera", "recorder", "other":
	default:
		return fmt.Errorf("truth.class: %q, want camera, recorder or other", p.Truth.Class)
	}
	if p.Hostile != "" && !hostileModes[p.Hostile] {
		return fmt.Errorf("hostile: %q, want one of silent, endless-body, giant-headers, rtsp-garbage, reset, slow", p.Hostile)
	}
	if p.HTTP == nil && p.HTTPS == nil && p.RTSP == nil && len(p.ExtraTCP) == 0 {
		return errors.New("no TCP service: want at least one of http, https, rtsp, extra_tcp")
	}
	for _, r := range allRoutes(p) {
		if r.Path == "" || !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("route %q: path must start with /", r.Path)
		}
		if r.Status != 0 && (r.Status < 100 || r.Status > 599) {
			return fmt.Errorf("route %s: status %d out of range", r.Path, r.Status)
		}
		if r.Body != "" && r.BodyFile != "" {
			return fmt.Errorf("route %s: body and body_file both set", r.Path)
		}
		for _, kv := range r.Headers {
			if kv[0] == "" || strings.ContainsAny(kv[0], ": \r\n") || strings.ContainsAny(kv[1], "\r\n") {
				return fmt.Errorf("route %s: bad header %q", r.Path, kv[0])
			}
		}
	}
	if p.RTSP != nil && p.RTSP.Describe.Status != 0 && (p.RTSP.Describe.Status < 100 || p.RTSP.Describe.Status > 599) {
		return fmt.Errorf("rtsp.describe.status %d out of range", p.RTSP.Describe.Status)
	}
	for _, m := range p.MDNS {
		if err := m.validate(); err != nil {
			return fmt.Errorf("mdns %s: %w", m.Service, err)
		}
	}
	var err error
	visitStrings(reflect.ValueOf(p), func(s string) {
		if err == nil {
			err = checkPlaceholders(s)
		}
	})
	return err
}

func allRoutes(p Persona) []Route {
	var rs []Route
	for _, svc := range []*HTTPService{p.HTTP, httpsService(p)} {
		if svc == nil {
			continue
		}
		rs = append(rs, svc.Routes...)
		if svc.NotFound != nil {
			nf := *svc.NotFound
			if nf.Path == "" {
				nf.Path = "/"
			}
			rs = append(rs, nf)
		}
	}
	return rs
}

func httpsService(p Persona) *HTTPService {
	if p.HTTPS == nil {
		return nil
	}
	return &p.HTTPS.HTTPService
}

// validate rules out what the mDNS responder (hashicorp/mdns) would refuse
// or spell wrong: it builds names by joining instance, service and domain.
func (m MDNSService) validate() error {
	labels := strings.Split(m.Service, ".")
	if len(labels) != 2 || !strings.HasPrefix(labels[0], "_") || (labels[1] != "_tcp" && labels[1] != "_udp") {
		return fmt.Errorf("service: %q, want _name._tcp or _name._udp", m.Service)
	}
	if m.Instance == "" || strings.ContainsAny(m.Instance, ".\\") {
		return fmt.Errorf("instance: %q, want a non-empty label without dots or backslashes", m.Instance)
	}
	if m.Port == 0 {
		return errors.New("port: required")
	}
	if strings.ContainsAny(strings.TrimSuffix(m.Host, ".local"), ". \\") {
		return fmt.Errorf("host: %q, want one label", m.Host)
	}
	return nil
}
