// Package deploy holds no code: it is the home of camsweep's deployment files
// (systemd unit, container image, Kubernetes manifests, Prometheus rules,
// Alertmanager route, Grafana dashboard), and its tests check those files with
// the real tools where they are installed (promtool, amtool,
// systemd-analyze, prometheus) and structurally everywhere.
package deploy
