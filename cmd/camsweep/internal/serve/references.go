package serve

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/registryfile"
)

// references is a site's loaded registry and policy.
type references struct {
	registryPath, policyPath string
	columns                  inventory.ColumnMap
	registryHash, policyHash [sha256.Size]byte

	registry *inventory.Registry
	policy   *inventory.Policy
	// rowErrors are the registry's bad rows: loud (logged, counted in
	// camsweep_registry_load_errors) but not fatal, because the good rows
	// still give true findings and a bad row's camera shows up as
	// unregistered rather than vanishing.
	rowErrors []error
}

// refCache keeps each site's last good references. It re-reads the files
// before every scan and re-parses them only when their content changed
// (hashing, not mtimes: an editor's save within the same second, or a
// configuration-management tool restoring an old mtime, must not be missed).
type refCache struct {
	mu    sync.Mutex
	sites map[string]*references
}

func newRefCache() *refCache { return &refCache{sites: map[string]*references{}} }

// load returns the site's references, reloading them if the files changed.
// When a file cannot be read or parsed the error is returned and the last
// good references stay cached (for the metrics and the next run); the
// caller fails the run.
func (c *refCache) load(site Site, log zerolog.Logger) (*references, error) {
	regData, err := os.ReadFile(site.Registry)
	if err != nil {
		return nil, fmt.Errorf("serve: load registry: %w", err)
	}
	polData, err := os.ReadFile(site.Policy)
	if err != nil {
		return nil, fmt.Errorf("serve: load policy: %w", err)
	}
	rh, ph := sha256.Sum256(regData), sha256.Sum256(polData)

	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.sites[site.Name]
	if old != nil && old.registryPath == site.Registry && old.policyPath == site.Policy &&
		old.registryHash == rh && old.policyHash == ph && reflect.DeepEqual(old.columns, site.RegistryColumns) {
		return old, nil
	}
	pol, err := inventory.ParsePolicy(site.Policy, polData)
	if err != nil {
		return nil, fmt.Errorf("serve: load policy: %w", err)
	}
	reg, rowErrs := registryfile.Parse(site.Registry, regData, site.RegistryColumns)
	if reg == nil || (len(reg.Rows) == 0 && len(rowErrs) > 0) {
		// Nothing usable: every camera would turn into an unregistered
		// one. That is a broken file, not a finding.
		return nil, fmt.Errorf("serve: load registry: %s: no valid rows: %w", site.Registry, errors.Join(rowErrs...))
	}
	r := &references{
		registryPath: site.Registry, policyPath: site.Policy, columns: site.RegistryColumns,
		registryHash: rh, policyHash: ph, registry: reg, policy: pol, rowErrors: rowErrs,
	}
	c.sites[site.Name] = r
	ev := log.Info()
	if len(rowErrs) > 0 {
		ev = log.Warn()
		for _, e := range rowErrs {
			log.Warn().Err(e).Str("registry", site.Registry).Msg("registry row rejected")
		}
	}
	ev.Str("registry", site.Registry).Str("policy", site.Policy).Int("rows", len(reg.Rows)).
		Int("row_errors", len(rowErrs)).Bool("reload", old != nil).Msg("registry and policy loaded")
	return r, nil
}

// all returns every site's last good references.
func (c *refCache) all() map[string]*references {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]*references, len(c.sites))
	for k, v := range c.sites {
		out[k] = v
	}
	return out
}
