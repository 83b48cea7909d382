//go:build race

package serve

// raceEnabled says the tests run under the race detector, which makes
// encoding/json and SQLite several times slower; the load test sizes
// itself down (not away) then.
const raceEnabled = true
