//go:build !amd64 && !arm64

package eventlog

import (
	"bytes"
	"runtime"
	"strconv"
)

// getg returns the goroutine id parsed from runtime.Stack.
func getg() uintptr {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return uintptr(n)
}
