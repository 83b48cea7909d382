package inventory

import (
	"os"
	"testing"
)

// TestMain lets BenchmarkRegistryLoad re-execute the test binary as a child
// process with its own peak RSS; otherwise it runs the tests.
func TestMain(m *testing.M) {
	if spec := os.Getenv(registryChildEnv); spec != "" {
		os.Exit(registryChild(spec))
	}
	os.Exit(m.Run())
}
