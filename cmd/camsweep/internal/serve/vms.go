package serve

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/camsweep/camsweep/inventory"
	"github.com/camsweep/camsweep/inventory/metrics"
	"github.com/camsweep/camsweep/inventory/vms"
)

// vmsCache keeps each site's VMS list between scans and reads it again
// when it is older than the site's refresh. A failed read keeps the last
// good list (the report names when it was read, and the error).
type vmsCache struct {
	mu     sync.Mutex
	bySite map[string]*vmsEntry
}

type vmsEntry struct {
	url    string
	inv    *inventory.VMSInventory
	err    string
	errors uint64
}

func newVMSCache() *vmsCache { return &vmsCache{bySite: map[string]*vmsEntry{}} }

// get returns the site's list, reading it when it is missing or stale,
// and the error of this read ("" when it worked or was not needed).
func (c *vmsCache) get(ctx context.Context, site Site, now time.Time, log zerolog.Logger) (*inventory.VMSInventory, string) {
	cfg := site.VMS
	if cfg == nil {
		return nil, ""
	}
	c.mu.Lock()
	e := c.bySite[site.Name]
	if e == nil || e.url != cfg.URL {
		e = &vmsEntry{url: cfg.URL}
		c.bySite[site.Name] = e
	}
	if e.inv != nil && now.Sub(e.inv.Fetched) < cfg.Refresh {
		inv := e.inv
		c.mu.Unlock()
		return inv, ""
	}
	c.mu.Unlock()

	inv, err := FetchVMS(ctx, cfg, log)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		e.err = err.Error()
		e.errors++
		log.Error().Err(err).Msg("VMS list not read; the last good one is used, or the registry's vms column when there is none")
		return e.inv, e.err
	}
	// Judged by the daemon's clock, as every other age is.
	inv.Fetched = now
	e.inv, e.err = inv, ""
	return inv, ""
}

// FetchVMS reads the VMS's hardware list once, as the daemon does at a
// scan: the credentials file read now, each request within the timeout,
// the whole within 10 minutes. Neither the secret nor the token is logged.
func FetchVMS(ctx context.Context, cfg *VMSConfig, log zerolog.Logger) (*inventory.VMSInventory, error) {
	// The credentials are read at each refresh, so a rotated secret is
	// picked up without a reload.
	creds, err := vms.LoadCredentials(cfg.CredentialsFile)
	if err != nil {
		return nil, err
	}
	m, err := vms.NewMilestone(cfg.clientConfig(), creds, log.With().Str("component", "vms").Logger())
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	return m.Fetch(ctx)
}

// metric is the site's VMS state for the metrics; nil without a VMS.
func (c *vmsCache) metric(site Site) *metrics.VMS {
	if site.VMS == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := &metrics.VMS{Source: site.VMS.Type, Refresh: site.VMS.Refresh}
	if e := c.bySite[site.Name]; e != nil {
		m.ErrorsTotal = e.errors
		if e.inv != nil {
			m.Hardware, m.LastSuccess = len(e.inv.Hardware), e.inv.Fetched
		}
	}
	return m
}
