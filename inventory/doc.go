// Package inventory holds a sweep's results against the official camera
// registry and the camera policy. Its core (registry, policy, Reconcile) does
// no network I/O and never reads the clock: time is passed in.
package inventory
