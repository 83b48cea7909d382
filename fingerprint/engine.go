package fingerprint

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

//go:embed rules/*.yaml
var rulesFS embed.FS

// recogFS holds the recog databases shipped unchanged (recog/SOURCE names
// the commit; `make refresh-data` refreshes them).
//
//go:embed recog/xml/*.xml recog/SOURCE
var recogFS embed.FS

// oemFileName is the OEM map inside rules/; it is not a rule file.
const oemFileName = "oem.yaml"

// Engine holds compiled rules and identifies devices from their evidence.
// It is safe for concurrent Identify calls once loading is done.
type Engine struct {
	files []string
	rules []*Rule
	ids   map[string]*Rule
	// byField lists, per evidence field, the rules for it grouped by file in
	// load order; within a file the first matching rule wins, as in recog.
	byField map[string][][]*Rule
	// recogDBs maps a loaded recog database's key (its "matches"
	// attribute) to the file it came from: a newer file with the same key
	// replaces it.
	recogDBs map[string]string
	recog    RecogStats
}

// New returns an engine with no rules.
func New() *Engine {
	return &Engine{ids: map[string]*Rule{}, byField: map[string][][]*Rule{}, recogDBs: map[string]string{}}
}

// LoadEmbedded returns an engine loaded with the rules shipped in the binary.
func LoadEmbedded() (*Engine, error) {
	if _, err := loadOEM(); err != nil {
		return nil, err
	}
	files, err := EmbeddedRuleFiles()
	if err != nil {
		return nil, err
	}
	// Sorted: load order decides the order of claims and of the verdict's
	// explanation, which must not change between runs.
	e := New()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := e.Load(name, files[name]); err != nil {
			return nil, err
		}
	}
	recog, err := embeddedRecog()
	if err != nil {
		return nil, err
	}
	for _, db := range recog {
		e.addRecog(db.name, db.rules, db.stats)
	}
	return e, nil
}

type recogDB struct {
	name  string
	rules []*Rule
	stats RecogStats
}

// embeddedRecog compiles the shipped recog databases once per process:
// rules are read-only once built, so engines share them.
var embeddedRecog = sync.OnceValues(func() ([]recogDB, error) {
	files, err := EmbeddedRecogFiles()
	if err != nil {
		return nil, err
	}
	var out []recogDB
	for _, name := range slices.Sorted(maps.Keys(files)) {
		rules, st, err := loadRecog(name, files[name], false)
		if err != nil {
			return nil, err
		}
		out = append(out, recogDB{name, rules, st})
	}
	return out, nil
})

// EmbeddedRecogFiles returns the names and contents of the shipped recog
// databases.
func EmbeddedRecogFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	names, err := fs.Glob(recogFS, "recog/xml/*.xml")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: embedded recog: %w", err)
	}
	for _, name := range names {
		data, err := recogFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: embedded recog: %w", err)
		}
		out[name] = data
	}
	return out, nil
}

// EmbeddedRuleFiles returns the names and contents of the shipped rule
// files, for `camsweep rules` listings and tests.
func EmbeddedRuleFiles() (map[string][]byte, error) {
	out := map[string][]byte{}
	names, err := fs.Glob(rulesFS, "rules/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: embedded rules: %w", err)
	}
	for _, name := range names {
		if path.Base(name) == oemFileName {
			continue
		}
		data, err := rulesFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("fingerprint: embedded rules: %w", err)
		}
		out[name] = data
	}
	return out, nil
}

// Load adds the rules of one file. The file must pass Verify, and its ids
// must not clash with loaded ones; otherwise nothing of it is added and the
// error lists every problem.
//
// A recog database (XML) loads the fingerprints camsweep can run and test,
// and skips the others with their reasons (RecogStats); one whose key is
// already loaded replaces the earlier file, so that a newer recog file
// given with --rules supersedes the shipped one.
func (e *Engine) Load(name string, data []byte) error {
	if isRecogXML(data) {
		return e.loadRecog(name, data)
	}
	rules, errs := parseRules(name, data)
	errs = append(errs, lintRules(rules)...)
	for _, r := range rules {
		if prev, dup := e.ids[r.ID]; dup {
			errs = append(errs, &LoadError{File: name, Line: r.Line, Column: r.Column,
				Msg: fmt.Sprintf("rule %s: id already used in %s:%d", r.ID, prev.File, prev.Line)})
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	e.add(name, rules)
	return nil
}

func (e *Engine) add(name string, rules []*Rule) {
	e.files = append(e.files, name)
	for _, r := range rules {
		e.ids[r.ID] = r
		e.rules = append(e.rules, r)
		for _, f := range r.Fields {
			groups := e.byField[f]
			if n := len(groups); n == 0 || groups[n-1][0].File != name {
				groups = append(groups, nil)
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], r)
			e.byField[f] = groups
		}
	}
}

func (e *Engine) loadRecog(name string, data []byte) error {
	rules, st, err := loadRecog(name, data, true)
	if err != nil {
		return err
	}
	e.addRecog(name, rules, st)
	return nil
}

func (e *Engine) addRecog(name string, rules []*Rule, st RecogStats) {
	if len(rules) > 0 {
		if old, ok := e.recogDBs[rules[0].Recog.Database]; ok {
			e.remove(old)
		}
		e.recogDBs[rules[0].Recog.Database] = name
	}
	e.recog.add(st)
	e.add(name, rules)
}

// remove unloads the rules of one file.
func (e *Engine) remove(file string) {
	e.files = slices.DeleteFunc(e.files, func(f string) bool { return f == file })
	e.rules = slices.DeleteFunc(e.rules, func(r *Rule) bool {
		if r.File == file {
			delete(e.ids, r.ID)
			return true
		}
		return false
	})
	for f, groups := range e.byField {
		e.byField[f] = slices.DeleteFunc(groups, func(g []*Rule) bool { return g[0].File == file })
	}
}

// RecogStats reports what loading recog databases did: fingerprints
// loaded, examples run and passed, and every fingerprint skipped with its
// reason.
func (e *Engine) RecogStats() RecogStats {
	st := e.recog
	st.Skipped = slices.Clone(st.Skipped)
	return st
}

// LoadFile adds the rules of a user rule file (for --rules).
func (e *Engine) LoadFile(file string) error {
	data, err := readBounded(file)
	if err != nil {
		return err
	}
	return e.Load(file, data)
}

// LoadDir adds every *.yaml and *.yml rule file and every recog *.xml
// database in dir, in name order.
func (e *Engine) LoadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("fingerprint: load dir: %w", err)
	}
	var errs []error
	for _, ent := range entries {
		n := ent.Name()
		if ent.IsDir() || !(strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".xml")) {
			continue
		}
		if err := e.LoadFile(filepath.Join(dir, n)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func readBounded(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("fingerprint: load: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("fingerprint: load: %w", err)
	}
	if len(data) > maxRuleFileSize {
		return nil, fmt.Errorf("fingerprint: load: %s is larger than %d bytes", file, maxRuleFileSize)
	}
	return data, nil
}

// Rules returns the loaded rules in load order.
func (e *Engine) Rules() []*Rule { return append([]*Rule(nil), e.rules...) }

// Files returns the names of the loaded rule files in load order.
func (e *Engine) Files() []string { return append([]string(nil), e.files...) }
