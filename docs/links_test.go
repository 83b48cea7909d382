package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoRoot is the repository, seen from this package's directory.
const repoRoot = ".."

var (
	// mdLink is an inline link or image target: [text](target "title").
	mdLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// refLink is a reference definition: [name]: target
	refLink = regexp.MustCompile(`(?m)^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	// parentPath is a path climbing out of its directory, anywhere in the
	// text (prose, code spans, code blocks): ../shared/seed/CONTEXT.md.
	parentPath = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.\-/])((?:\.\./)+[A-Za-z0-9_.\-/]*)`)
	// codeSpan is inline code, whose text may be a repository path.
	codeSpan = regexp.MustCompile("`([^`\n]+)`")
	// repoPath is a relative path of at least two segments.
	repoPath = regexp.MustCompile(`^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-*]+)+/?$`)
)

// markdownFiles lists the repository's Markdown files (README, docs/, and
// any other), skipping hidden directories and test data.
func markdownFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".md") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// inRepo resolves target against dir and reports the path, and whether it
// stays inside the repository.
func inRepo(dir, target string) (string, bool) {
	root, _ := filepath.Abs(repoRoot)
	p, _ := filepath.Abs(filepath.Join(dir, filepath.FromSlash(target)))
	rel, err := filepath.Rel(root, p)
	return p, err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func exists(p string) bool {
	if strings.ContainsAny(p, "*?[") {
		m, _ := filepath.Glob(p)
		return len(m) > 0
	}
	_, err := os.Stat(p)
	return err == nil
}

// topLevel lists the repository's top-level entries, so that a code span
// such as `deploy/examples/policy.yaml` is known to be a path.
func topLevel(t *testing.T) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		out[e.Name()] = true
	}
	return out
}

// TestDocLinksStayInRepository: a user who clones the repository has
// nothing beside it, so no README or docs link, and no path written in
// their text, may point outside the repository or at a file it lacks.
// Checked: Markdown links and reference definitions (relative to the
// file), any ../ path in prose or code (relative to the file), and code
// spans naming a repository path (relative to the root, as the docs write
// them). Web links are left alone.
func TestDocLinksStayInRepository(t *testing.T) {
	top := topLevel(t)
	files := markdownFiles(t)
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		text := string(data)
		dir := filepath.Dir(file)
		name := strings.TrimPrefix(filepath.ToSlash(file), "../")
		lineOf := func(s string) int { return strings.Count(text[:strings.Index(text, s)], "\n") + 1 }

		var links []string
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			links = append(links, m[1])
		}
		for _, m := range refLink.FindAllStringSubmatch(text, -1) {
			links = append(links, m[1])
		}
		for _, target := range links {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "#") {
				continue
			}
			path, _, _ := strings.Cut(target, "#")
			if strings.HasPrefix(path, "/") {
				t.Errorf("%s:%d: link %q is an absolute path; link within the repository", name, lineOf(target), target)
				continue
			}
			p, ok := inRepo(dir, path)
			switch {
			case !ok:
				t.Errorf("%s:%d: link %q points outside the repository", name, lineOf(target), target)
			case !exists(p):
				t.Errorf("%s:%d: link %q: no such file in the repository", name, lineOf(target), target)
			}
		}
		for _, m := range parentPath.FindAllStringSubmatch(text, -1) {
			target := strings.TrimRight(m[1], ".")
			p, ok := inRepo(dir, target)
			switch {
			case !ok:
				t.Errorf("%s:%d: path %q points outside the repository", name, lineOf(m[1]), target)
			case !exists(p):
				t.Errorf("%s:%d: path %q: no such file in the repository", name, lineOf(m[1]), target)
			}
		}
		for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
			span := m[1]
			first, _, _ := strings.Cut(span, "/")
			// A Go package pattern (scanner/...) names packages, not a file.
			if !repoPath.MatchString(span) || !top[first] || strings.Contains(span, "...") {
				continue
			}
			if !exists(filepath.Join(repoRoot, filepath.FromSlash(span))) {
				t.Errorf("%s:%d: `%s`: no such file in the repository", name, lineOf("`"+span+"`"), span)
			}
		}
	}
}
