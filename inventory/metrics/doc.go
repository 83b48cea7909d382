// Package metrics exposes camsweep's state to Prometheus.
//
// Collector is a prometheus.Collector over a snapshot it asks for at every
// scrape: the latest complete report per site, scan bookkeeping and the
// loaded policy's dispensations. Every value is built as a const metric at
// collect time, so a camera that left the network, a finding that was
// resolved or a site removed from the configuration disappears at the next
// scrape instead of lingering as a stale series. The package holds no state
// of its own; the daemon owns it. The metric names are a contract with the
// alert rules and the Grafana dashboard in deploy/ (docs/metrics.md).
package metrics
