package serve

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
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
//
// The registry is read as a stream, twice when it changed (once to hash it,
// once to load it), so the daemon's memory holds the loaded rows and not
// the file; a registry over its limits, or a load cancelled by shutdown,
// fails the run like an unreadable file: its missing rows would make
// registered cameras look unregistered.
func (c *refCache) load(ctx context.Context, site Site, lim inventory.Limits, log zerolog.Logger) (*references, error) {
	rh, err := hashFile(ctx, site.Registry, lim.MaxBytesOrDefault())
	if err != nil {
		return nil, fmt.Errorf("serve: load registry: %w", err)
	}
	polData, err := os.ReadFile(site.Policy)
	if err != nil {
		return nil, fmt.Errorf("serve: load policy: %w", err)
	}
	ph := sha256.Sum256(polData)

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
	l := inventory.NewRegistryLoader(site.RegistryColumns)
	l.SetLimits(lim)
	l.SetContext(ctx)
	registryfile.LoadInto(l, []string{site.Registry})
	reg, rowErrs := l.Result()
	if stop := l.Stopped(); stop != nil {
		return nil, fmt.Errorf("serve: load registry: %w", stop)
	}
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

// retain forgets the references of every site not in keep: a removed
// site's registry is not held in memory for the daemon's life.
func (c *refCache) retain(keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name := range c.sites {
		if !keep[name] {
			delete(c.sites, name)
		}
	}
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

// hashFile is the SHA-256 of a file read as a stream, refusing one larger
// than max (the registry's size limit) without reading it all.
func hashFile(ctx context.Context, path string, max int64) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(ctxReader{ctx, f}, max+1))
	if err != nil {
		return sum, err
	}
	if n > max {
		return sum, &inventory.LimitError{File: path, Limit: "max_bytes", Value: max, What: fmt.Sprintf("larger than %d bytes", max)}
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}

// ctxReader stops reading when ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
