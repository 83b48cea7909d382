package fingerprint

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// recog (github.com/rapid7/recog) keeps fingerprints as XML, one database
// per kind of banner: each <fingerprint> has a pattern, flags, a
// description, <example>s whose attributes assert the params extracted from
// them, and <param>s, constant (pos="0", value may interpolate other params
// as {name}) or capture groups (pos="N"). Within a database the first
// matching fingerprint wins. camsweep reads these files natively, turns each
// fingerprint into a Rule whose outputs come from the params (recog_map.go),
// and runs every example as recog's own verifier does.

// recogWeight is a recog claim's weight before its certainty: below
// camsweep's own banner rules (0.5-0.95), which also take precedence on the
// same evidence item (see Identify).
const recogWeight = 0.6

// maxRecogFingerprints bounds one database; the biggest shipped one has
// under 600.
const maxRecogFingerprints = 20000

// RecogInfo is what a Rule made from a recog fingerprint keeps of it.
type RecogInfo struct {
	Database    string // the file's "matches" key, e.g. http_header.server
	Description string
	Params      []RecogParam
	Examples    []RecogExample
}

// RecogParam is one <param>: a constant (Pos 0) or capture group Pos.
type RecogParam struct {
	Pos   int
	Name  string
	Value string
}

// RecogExample is one <example>: the text (base64-decoded when
// _encoding="base64") and the param values it asserts.
type RecogExample struct {
	Text   string
	Want   map[string]string
	Line   int
	Column int
}

// RecogSkip is a fingerprint that was not loaded, and why.
type RecogSkip struct {
	File        string
	Line        int
	Description string
	Examples    int
	Reason      string
	// Kind groups reasons: "unsupported" (a regex feature RE2 lacks),
	// "untested" (no example), "example" (an example failed here),
	// "shadowed" (an earlier fingerprint of the file catches an example).
	Kind string
}

// RecogStats counts what loading recog databases did.
type RecogStats struct {
	Files, Fingerprints, Loaded int
	Examples, ExamplesPassed    int
	Skipped                     []RecogSkip
}

func (s *RecogStats) add(o RecogStats) {
	s.Files += o.Files
	s.Fingerprints += o.Fingerprints
	s.Loaded += o.Loaded
	s.Examples += o.Examples
	s.ExamplesPassed += o.ExamplesPassed
	s.Skipped = append(s.Skipped, o.Skipped...)
}

// isRecogXML reports whether data looks like a recog database (an XML
// document whose root is <fingerprints>).
func isRecogXML(data []byte) bool {
	head := data[:min(len(data), 4096)]
	return bytes.Contains(head, []byte("<fingerprints"))
}

type rawRecogDB struct {
	matches string
	line    int
	fps     []rawRecogFP
}

type rawRecogFP struct {
	pattern, flags, certainty string
	description               string
	line, col                 int
	params                    []RecogParam
	examples                  []RecogExample
	encodings                 []string
}

// parseRecogXML reads a recog database with a streaming decoder, checking
// the structure recog's schema (fingerprints.xsd) lays down and locating
// every problem by line and column.
func parseRecogXML(file string, data []byte) (*rawRecogDB, error) {
	if len(data) > maxRuleFileSize {
		return nil, &LoadError{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("file is %d bytes, more than %d", len(data), maxRuleFileSize)}
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// line and col are where the token being handled starts: the decoder's
	// position before it read the token.
	var line, col int
	at := func(format string, args ...any) error {
		return &LoadError{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	db := &rawRecogDB{}
	var (
		fp      *rawRecogFP
		ex      *RecogExample
		inDesc  bool
		text    strings.Builder
		depth   int
		gotRoot bool
	)
	for {
		line, col = dec.InputPos()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &LoadError{File: file, Line: se.Line, Column: 1, Msg: "XML: " + se.Msg}
			}
			return nil, at("XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			switch {
			case depth == 1:
				if t.Name.Local != "fingerprints" {
					return nil, at("root element <%s>: want <fingerprints>", t.Name.Local)
				}
				gotRoot = true
				db.line = line
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "matches":
						db.matches = a.Value
					case "protocol", "database_type", "preference":
					default:
						return nil, at("<fingerprints>: unknown attribute %q", a.Name.Local)
					}
				}
			case depth == 2:
				if t.Name.Local != "fingerprint" {
					return nil, at("<%s> in <fingerprints>: want <fingerprint>", t.Name.Local)
				}
				if len(db.fps) >= maxRecogFingerprints {
					return nil, at("more than %d fingerprints", maxRecogFingerprints)
				}
				db.fps = append(db.fps, rawRecogFP{})
				fp = &db.fps[len(db.fps)-1]
				fp.line, fp.col = line, col
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "pattern":
						fp.pattern = a.Value
					case "flags":
						fp.flags = a.Value
					case "certainty":
						fp.certainty = a.Value
					default:
						return nil, at("<fingerprint>: unknown attribute %q", a.Name.Local)
					}
				}
				if fp.pattern == "" {
					return nil, at("<fingerprint> without a pattern")
				}
			case depth == 3:
				text.Reset()
				switch t.Name.Local {
				case "description":
					inDesc = true
				case "example":
					fp.examples = append(fp.examples, RecogExample{Want: map[string]string{}, Line: line, Column: col})
					ex = &fp.examples[len(fp.examples)-1]
					enc := ""
					for _, a := range t.Attr {
						switch a.Name.Local {
						case "_encoding":
							enc = a.Value
						default:
							ex.Want[a.Name.Local] = a.Value
						}
					}
					fp.encodings = append(fp.encodings, enc)
				case "param":
					p, err := recogParam(t.Attr)
					if err != nil {
						return nil, at("<param>: %v", err)
					}
					fp.params = append(fp.params, p)
				default:
					return nil, at("<%s> in <fingerprint>: want description, example or param", t.Name.Local)
				}
			default:
				return nil, at("<%s>: unexpected element inside <%s>", t.Name.Local, "fingerprint")
			}
		case xml.CharData:
			if depth == 3 && (inDesc || ex != nil) {
				if text.Len()+len(t) > maxRuleFileSize {
					return nil, at("text too long")
				}
				text.Write(t)
			}
		case xml.EndElement:
			if depth == 3 {
				switch {
				case inDesc:
					fp.description = strings.Join(strings.Fields(text.String()), " ")
					inDesc = false
				case ex != nil:
					ex.Text = text.String()
					ex = nil
				}
			}
			if depth == 2 {
				fp = nil
			}
			depth--
		}
	}
	if !gotRoot {
		return nil, &LoadError{File: file, Line: 1, Column: 1, Msg: "no <fingerprints> element"}
	}
	if db.matches == "" {
		// recog's own rule: without the attribute the key is the file name.
		db.matches = strings.TrimSuffix(path.Base(strings.ReplaceAll(file, "\\", "/")), ".xml")
	}
	// Decode base64 examples now that their text is complete.
	for i := range db.fps {
		f := &db.fps[i]
		for j, enc := range f.encodings {
			switch enc {
			case "":
			case "base64":
				raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(f.examples[j].Text), ""))
				if err != nil {
					return nil, &LoadError{File: file, Line: f.examples[j].Line, Column: f.examples[j].Column, Msg: fmt.Sprintf("example: base64: %v", err)}
				}
				f.examples[j].Text = string(raw)
			default:
				return nil, &LoadError{File: file, Line: f.examples[j].Line, Column: f.examples[j].Column, Msg: fmt.Sprintf("example: _encoding %q: recog knows base64 only", enc)}
			}
		}
	}
	return db, nil
}

func recogParam(attrs []xml.Attr) (RecogParam, error) {
	var p RecogParam
	hasPos := false
	for _, a := range attrs {
		switch a.Name.Local {
		case "pos":
			n, err := strconv.Atoi(a.Value)
			if err != nil || n < 0 || n > 99 {
				return p, fmt.Errorf("pos %q: want a number from 0 (constant) to 99 (capture group)", a.Value)
			}
			p.Pos, hasPos = n, true
		case "name":
			p.Name = a.Value
		case "value":
			p.Value = a.Value
		default:
			return p, fmt.Errorf("unknown attribute %q", a.Name.Local)
		}
	}
	if p.Name == "" || !hasPos {
		return p, fmt.Errorf("name and pos are required")
	}
	return p, nil
}

// loadRecog turns a recog database into rules. Fingerprints camsweep cannot
// run faithfully (a regex feature RE2 lacks), cannot test (no example), or
// whose examples fail or are caught by an earlier fingerprint of the file,
// are skipped with the reason; the rest load. Structural errors in the file
// fail it whole. The shadowing check costs a match of every example against
// every earlier fingerprint; the shipped files are checked by the tests, so
// loading them skips it (shadow false).
func loadRecog(file string, data []byte, shadow bool) ([]*Rule, RecogStats, error) {
	db, err := parseRecogXML(file, data)
	if err != nil {
		return nil, RecogStats{}, err
	}
	fields, ok := recogFields[db.matches]
	if !ok {
		return nil, RecogStats{}, &LoadError{File: file, Line: db.line, Column: 1,
			Msg: fmt.Sprintf("recog database %q describes no evidence camsweep collects (it reads %s)", db.matches, strings.Join(recogKeys(), ", "))}
	}
	st := RecogStats{Files: 1, Fingerprints: len(db.fps)}
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	var rules []*Rule
	var errs []error
	for i := range db.fps {
		f := &db.fps[i]
		skip := func(kind, format string, args ...any) {
			st.Skipped = append(st.Skipped, RecogSkip{File: file, Line: f.line, Description: f.description,
				Examples: len(f.examples), Kind: kind, Reason: fmt.Sprintf(format, args...)})
		}
		st.Examples += len(f.examples)
		if f.description == "" {
			errs = append(errs, &LoadError{File: file, Line: f.line, Column: f.col, Msg: "fingerprint without a description"})
			continue
		}
		re, err := compileRecog(f.pattern, f.flags)
		if err != nil {
			skip("unsupported", "%v", err)
			continue
		}
		r, err := recogRule(file, base, db.matches, fields, f, re)
		if err != nil {
			errs = append(errs, &LoadError{File: file, Line: f.line, Column: f.col, Msg: err.Error()})
			continue
		}
		if len(f.examples) == 0 {
			skip("untested", "no <example>: camsweep loads only fingerprints it can test")
			continue
		}
		if bad, trimmed := checkRecogExamples(r); bad != "" {
			if trimmed {
				skip("unsupported", "%s: it relies on white space at the ends, which camsweep trims from every evidence value", bad)
			} else {
				skip("example", "%s", bad)
			}
			continue
		}
		if shadow {
			if by, ex := shadowedBy(rules, r); by != nil {
				skip("shadowed", "example %q is matched first by the earlier fingerprint at line %d (%s)", quoteShort(ex), by.Line, by.Recog.Description)
				continue
			}
		}
		st.ExamplesPassed += len(f.examples)
		r.releaseRegexp()
		rules = append(rules, r)
	}
	if len(errs) > 0 {
		return nil, RecogStats{}, errors.Join(errs...)
	}
	st.Loaded = len(rules)
	return rules, st, nil
}

func recogKeys() []string {
	keys := make([]string, 0, len(recogFields))
	for k := range recogFields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// recogRule builds the Rule for one fingerprint: the params become templates
// (captures and interpolated constants), the chosen params become outputs.
func recogRule(file, base, matches string, fields []string, f *rawRecogFP, re *regexp.Regexp) (*Rule, error) {
	params := map[string]RecogParam{}
	for _, p := range f.params {
		if _, dup := params[p.Name]; dup {
			return nil, fmt.Errorf("fingerprint %q: param %s given twice", f.description, p.Name)
		}
		if p.Pos > re.NumSubexp() {
			return nil, fmt.Errorf("fingerprint %q: param %s is capture %d, the pattern has %d", f.description, p.Name, p.Pos, re.NumSubexp())
		}
		params[p.Name] = p
	}
	weight := recogWeight
	for _, c := range []string{params["hw.certainty"].Value, params["os.certainty"].Value, f.certainty} {
		if v, err := strconv.ParseFloat(c, 64); err == nil && v > 0 && v <= 1 {
			weight *= v
			break
		}
	}
	r := &Rule{
		ID:          fmt.Sprintf("recog:%s:%d", base, f.line),
		Fields:      fields,
		Pattern:     f.pattern,
		Description: f.description,
		Weight:      weight,
		Sources:     []string{"recog"},
		File:        file,
		Line:        f.line,
		Column:      f.col,
		re:          re,
		templates:   map[string]template{},
		Recog:       &RecogInfo{Database: matches, Description: f.description, Params: f.params, Examples: f.examples},
	}
	device := params["hw.device"].Value
	if device == "" {
		device = params["os.device"].Value
	}
	vendor := params["hw.vendor"].Value
	for _, alt := range []string{"os.vendor", "service.vendor"} {
		if vendor == "" {
			vendor = params[alt].Value
		}
	}
	if c := recogClass(device, vendor); c != "" {
		r.Outputs.Class = c
		r.templates["class"] = template{{lit: c, group: -1}}
	}
	isDevice := device != ""
	for _, out := range []string{"brand", "model", "firmware", "serial"} {
		for _, name := range recogOutputParams[out] {
			p, ok := params[name]
			// Only hw.* describe the box on their own; os.* and
			// service.* do when the fingerprint names a device.
			if !ok || (!isDevice && !strings.HasPrefix(name, "hw.")) {
				continue
			}
			t := recogTemplate(p, params, 0)
			if out == "model" && p.Pos == 0 && isGenericModel(expandConst(t), device) {
				continue
			}
			r.templates[out] = t
			*r.Outputs.ptr(out) = templateText(t)
			break
		}
	}
	return r, nil
}

// recogTemplate is the template of one param: its capture group, or its
// constant with {name} references to other params replaced by theirs.
func recogTemplate(p RecogParam, params map[string]RecogParam, depth int) template {
	if p.Pos > 0 {
		return template{{group: p.Pos}}
	}
	var t template
	s := p.Value
	for depth < 4 {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		ref, ok := params[s[i+1:i+j]]
		if !ok || ref.Name == p.Name {
			t = append(t, templatePart{lit: s[:i+j+1], group: -1})
			s = s[i+j+1:]
			continue
		}
		if i > 0 {
			t = append(t, templatePart{lit: s[:i], group: -1})
		}
		t = append(t, recogTemplate(ref, params, depth+1)...)
		s = s[i+j+1:]
	}
	if s != "" {
		t = append(t, templatePart{lit: s, group: -1})
	}
	return t
}

// templateText shows a template as rule files write one ("{1}" for a
// capture), for Rule.Outputs.
func templateText(t template) string {
	var b strings.Builder
	for _, p := range t {
		if p.group >= 0 {
			b.WriteString("{" + strconv.Itoa(p.group) + "}")
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

func expandConst(t template) string {
	var b strings.Builder
	for _, p := range t {
		if p.group >= 0 {
			return "" // not a constant
		}
		b.WriteString(p.lit)
	}
	return b.String()
}

// isGenericModel reports whether a constant hw.product is a kind of device
// rather than a model ("IP Camera", "Camera", the device name itself).
func isGenericModel(v, device string) bool {
	if v == "" {
		return false
	}
	if strings.EqualFold(v, device) || oemMap().generic[foldName(v)] {
		return true
	}
	switch strings.ToLower(v) {
	case "camera", "network camera", "ip camera", "webcam", "web cam", "dvr", "nvr":
		return true
	}
	return false
}

// recogParams evaluates every param on a match of value, as recog does:
// captures as matched, constants with {name} interpolated.
func (ri *RecogInfo) params(value string, m []int) map[string]string {
	byName := map[string]RecogParam{}
	for _, p := range ri.Params {
		byName[p.Name] = p
	}
	out := make(map[string]string, len(ri.Params))
	for _, p := range ri.Params {
		var b strings.Builder
		for _, part := range recogTemplate(p, byName, 0) {
			if part.group < 0 {
				b.WriteString(part.lit)
			} else if lo, hi := m[2*part.group], m[2*part.group+1]; lo >= 0 {
				b.WriteString(value[lo:hi])
			}
		}
		out[p.Name] = b.String()
	}
	return out
}

// checkRecogExamples runs a fingerprint's examples as recog's verifier
// does: each must match, and each attribute must equal the param it names.
// Values go through the same trimming and bound as evidence does.
// The second result says whether the untrimmed text would have matched.
func checkRecogExamples(r *Rule) (string, bool) {
	for _, ex := range r.Recog.Examples {
		v := clip(ex.Text)
		m := r.re.FindStringSubmatchIndex(v)
		if m == nil {
			return fmt.Sprintf("example %q (line %d) does not match", quoteShort(ex.Text), ex.Line), r.re.MatchString(ex.Text)
		}
		got := r.Recog.params(v, m)
		for k, want := range ex.Want {
			if k == "_filename" {
				return fmt.Sprintf("example (line %d) reads its text from a file (_filename), which camsweep does not ship", ex.Line), false
			}
			if g, ok := got[k]; !ok || g != want {
				return fmt.Sprintf("example %q (line %d): %s = %q, example says %q", quoteShort(ex.Text), ex.Line, k, g, want), false
			}
		}
	}
	return "", false
}

// shadowedBy returns an earlier rule of the same database that matches one
// of r's examples (recog's "matches this regex first" check).
func shadowedBy(earlier []*Rule, r *Rule) (*Rule, string) {
	for _, ex := range r.Recog.Examples {
		v := clip(ex.Text)
		for _, e := range earlier {
			if e.regexp().MatchString(v) {
				return e, ex.Text
			}
		}
	}
	return nil, ""
}
