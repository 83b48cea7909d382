// Package architecture holds no code. Its tests hold the module to the
// import rules of docs/architecture.md: which package may import which, and
// which packages must never link the network.
package architecture
