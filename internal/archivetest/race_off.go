//go:build !race

package archivetest

// RaceEnabled is true when the race detector is on: tests skip heavy
// cases then (Case.Heavy), which it slows ten times.
const RaceEnabled = false
