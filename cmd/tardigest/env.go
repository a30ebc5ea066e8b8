package main

import (
	"os"
	"time"
)

// env is what the program takes from its surroundings, gathered once in
// main so the rest can be tested with fixed values.
type env struct {
	// now is the time relative dates are shown against.
	now func() time.Time
	// stderrTTY reports whether stderr is a terminal, for progress.
	stderrTTY bool
}

// processEnv reads the real environment.
func processEnv() env {
	e := env{now: time.Now}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		e.stderrTTY = os.Getenv("TERM") != "dumb"
	}
	return e
}
