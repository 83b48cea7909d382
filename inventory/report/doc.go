// Package report renders an inventory.Report for people and tools (table,
// json, csv, html) and reads the JSON form back for `camsweep diff`.
//
// The CSV layout (one row per finding, device columns joined by IP) is
// documented in docs/registry.md, "Report formats".
package report
