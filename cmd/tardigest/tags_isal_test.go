//go:build isal

package main

// buildTags are the build flags of this test binary, for tests that build
// the command as a process: the isal build tests the isal binary.
var buildTags = []string{"-tags", "isal"}
