//go:build amd64 || arm64

package eventlog

// getg returns the address of the running goroutine's descriptor (goid_*.s).
func getg() uintptr
