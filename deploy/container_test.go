package deploy_test

import (
	"path/filepath"
	"strings"
	"testing"
)

type instruction struct {
	cmd  string // upper case: FROM, RUN, ...
	args string
	line int
}

// dockerInstructions parses a Dockerfile into instructions, joining
// backslash continuations and dropping comments. No Docker engine runs here,
// so this structural lint is what stands between a typo and CI's image build.
func dockerInstructions(t *testing.T, text string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasPrefix(line, "#") {
			continue // a comment inside a continued instruction
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args), start})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends inside a continued line")
	}
	return out
}

func TestDockerfile(t *testing.T) {
	ins := dockerInstructions(t, string(readFile(t, filepath.Join(deployDir(t), "container", "Dockerfile"))))
	known := map[string]bool{"FROM": true, "RUN": true, "COPY": true, "ARG": true, "ENV": true, "WORKDIR": true,
		"USER": true, "EXPOSE": true, "VOLUME": true, "ENTRYPOINT": true, "CMD": true, "LABEL": true}
	var stages []instruction
	stageNames := map[string]bool{}
	var final []instruction // instructions of the last stage
	for _, in := range ins {
		if !known[in.cmd] {
			t.Errorf("line %d: unknown or unexpected instruction %s", in.line, in.cmd)
		}
		if in.cmd == "ADD" {
			t.Errorf("line %d: ADD fetches URLs and unpacks archives implicitly; use COPY", in.line)
		}
		if in.cmd == "FROM" {
			stages = append(stages, in)
			if f := strings.Fields(in.args); len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stageNames[f[2]] = true
			}
			final = nil
		}
		final = append(final, in)
	}
	if len(stages) < 2 {
		t.Fatalf("want a multi-stage build (build and run stages), got %d FROM", len(stages))
	}
	base := strings.Fields(stages[len(stages)-1].args)[0]
	if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
		t.Errorf("final stage %q: want distroless/static or scratch (the binary is static)", base)
	}
	var binary, user, entry string
	for _, in := range ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			t.Errorf("line %d: the image builds its own binary; COPY the release binary (make release) instead", in.line)
		}
		if in.cmd == "COPY" && strings.HasPrefix(in.args, "dist/") {
			binary = strings.Fields(in.args)[0]
		}
		if in.cmd == "COPY" && strings.HasPrefix(in.args, "--from=") {
			from := strings.Fields(strings.TrimPrefix(in.args, "--from="))[0]
			if !stageNames[from] {
				t.Errorf("line %d: COPY --from=%s names no stage", in.line, from)
			}
		}
	}
	for _, in := range final {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entry = in.args
		case "RUN":
			t.Errorf("line %d: RUN in the final stage; distroless has no shell", in.line)
		}
	}
	// The image takes the binary make release wrote for its platform: the
	// name .ci/release.sh gives linux binaries.
	if binary != "dist/camsweep_${VERSION}_linux_${TARGETARCH}" {
		t.Errorf("COPY of the release binary: got %q, want dist/camsweep_${VERSION}_linux_${TARGETARCH}", binary)
	}
	script := string(readFile(t, filepath.Join(repoRoot(t), ".ci", "release.sh")))
	for _, want := range []string{`out="camsweep_${version}_${os}_${arch}"`, "CGO_ENABLED=0", "-trimpath", "./cmd/camsweep"} {
		if !strings.Contains(script, want) {
			t.Errorf(".ci/release.sh lacks %s", want)
		}
	}
	if u := strings.Split(user, ":")[0]; u == "" || u == "0" || u == "root" {
		t.Errorf("final stage USER %q: want a non-root user", user)
	}
	if !strings.HasPrefix(entry, "[") {
		t.Errorf("ENTRYPOINT %q: use the exec form; there is no shell", entry)
	}
}
