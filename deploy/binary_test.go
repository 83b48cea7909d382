package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
	binDir    string
)

// camsweepBinary builds ./cmd/camsweep once per test run. Other parts of the
// binary are written alongside these files; while it does not build, the
// tests that need it skip and say why (the CLI's own tests fail on it).
func camsweepBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "camsweep-deploy-test-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(binDir, "camsweep")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/camsweep")
		cmd.Dir = repoRoot(t)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Skipf("cmd/camsweep does not build here, so this check cannot run: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

func serveHasCheckConfig(t *testing.T, bin string) bool {
	out, _ := runTool(t, t.TempDir(), bin, "serve", "--help")
	return strings.Contains(out, "--check-config")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
