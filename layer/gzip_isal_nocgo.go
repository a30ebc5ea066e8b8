//go:build isal && !cgo

package layer

// The isal build calls ISA-L through cgo; without cgo it cannot build, and
// this undefined name says why in the compiler's error.
var _ = isalTagNeedsCgo_SetCGO_ENABLED1_AndInstallLibisalDev
