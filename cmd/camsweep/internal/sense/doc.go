// Package sense is camsweep's continuous detection: it turns what the
// passive listener hears on a site's link (scanner/link.Heard, one per
// frame) into first and last seen per MAC and per address, notices a
// device never seen before or an address whose MAC changed, and asks for a
// targeted look at that one host at once, within a budget of triggered
// probes per minute, deduplicated, cameras first when the queue is full.
//
// The daemon (`camsweep serve`) keeps the sightings in its history and
// publishes findings from each triggered probe; `camsweep watch` prints
// them. A device that falls silent is never reported missing from what was
// heard: the scheduled sweep stays the judge of missing_camera.
//
// Everything fed by the network is bounded: the host table (least recently
// heard evicted first), the queue of hosts waiting for the history, the
// triggered-probe queue and its deduplication memory.
package sense
