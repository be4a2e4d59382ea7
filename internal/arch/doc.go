// Package arch holds the test of rebond's package map (docs/ARCHITECTURE.md,
// "Packages"): which rooms of the module may import which. It has no code
// of its own.
package arch
