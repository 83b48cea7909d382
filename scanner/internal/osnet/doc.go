// Package osnet holds the little socket handling that differs between
// operating systems, so that the scanner builds and runs wherever Go does:
// how a refused connection surfaces, and how a UDP port is shared.
package osnet
