package deploy_test

import (
	"os"
	"os/exec"
	"path/filepath"
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

// camsweepBinary builds ./cmd/camsweep once per test run. A binary that
// does not build fails every test that needs it: it is in this repository,
// so its absence is a bug, not a missing tool.
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
		t.Fatalf("cmd/camsweep does not build: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}
