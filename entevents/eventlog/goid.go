package eventlog

// goid returns an identity of the running goroutine, unique among the live
// goroutines (an id may be reused after its goroutine exits). It tells a bulk
// create's nested hooks, which run on the goroutine of row 0, from unrelated
// mutations that share a context on other goroutines.
//
// It is called for every tracked create, and a bulk create's row i runs i hooks
// deep: it must not cost more with the depth of the stack. On amd64 and arm64 it
// is the address of the runtime's goroutine descriptor, read in assembly (a few
// nanoseconds; it is only compared, never dereferenced); elsewhere the id parsed
// from runtime.Stack, whose cost grows with the depth of the stack.
func goid() uint64 { return uint64(getg()) }
