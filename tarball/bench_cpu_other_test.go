//go:build !unix

package tarball_test

import "time"

// bgCPU is 0 where the process's CPU time is not read: BenchmarkGzipArchive
// then reports wall time only.
func bgCPU() time.Duration { return 0 }
