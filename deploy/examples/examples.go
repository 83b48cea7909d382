// Package examples embeds the example registry, policy and daemon
// configuration, so `camsweep demo` runs from the binary alone and the
// tests check the very files a site would copy.
package examples

import "embed"

// FS holds every example file of this directory.
//
//go:embed *.csv *.yaml
var FS embed.FS
