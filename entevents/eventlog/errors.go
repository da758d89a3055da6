package eventlog

import (
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrDriverNotWrapped is returned by a tracked mutation whose client driver was
	// not wrapped with WrapDriver: without it entevents cannot make the mutation and
	// its event atomic. Nothing is written.
	ErrDriverNotWrapped = errors.New("entevents: the ent client's driver is not wrapped: open the client with the generated ent.Open, or pass entevents.WrapDriver(drv) to ent.Driver")
	// ErrNotGenerated is returned by a tracked mutation whose ent package was
	// generated without the entevents extension (or before it was added).
	ErrNotGenerated = errors.New("entevents: the schema uses entevents.Mixin but its ent package lacks the generated entevents glue: add codegen.Extension() to entc.go and run go generate")
	// ErrUnknownActor is returned when the actor in the context matches no actor
	// column of the event log.
	ErrUnknownActor = errors.New("entevents: no actor column accepts this actor")
	// ErrEncode is returned when a value cannot be encoded into event data or metadata.
	ErrEncode = errors.New("entevents: cannot encode")
	// ErrDecode is returned when stored event data cannot be decoded.
	ErrDecode = errors.New("entevents: cannot decode event")
	// ErrTxAborted is returned by Commit when a tracked mutation in the transaction
	// failed to record its event: the transaction was rolled back.
	ErrTxAborted = errors.New("entevents: transaction rolled back because an event could not be recorded")
	// ErrNoVault is returned (in an *EventError) when reading an encrypted event
	// with no vault: neither the client's driver (DriverOptions.Vault) nor the
	// EventLog has one.
	ErrNoVault = errors.New("entevents: the event is encrypted but the event log has no vault")
)

// MutationError reports a tracked mutation that could not be recorded. It names the
// entity, the action and, when one value is at fault, the field.
type MutationError struct {
	Entity string
	Action string
	Field  string // empty when no single field is at fault
	Err    error
}

func (e *MutationError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("entevents: %s %s: field %q: %s", e.Entity, e.Action, e.Field, inner(e.Err))
	}
	return fmt.Sprintf("entevents: %s %s: %s", e.Entity, e.Action, inner(e.Err))
}

// inner returns the message of a wrapped error without the "entevents: " prefixes
// of its parts: the outer error already says it.
func inner(err error) string {
	s := strings.TrimPrefix(err.Error(), "entevents: ")
	return strings.ReplaceAll(s, ": entevents: ", ": ")
}

func (e *MutationError) Unwrap() error { return e.Err }

// EventError reports an event that could not be read, decoded or applied. It names
// the event id, entity, action and version.
type EventError struct {
	EventID any
	Entity  string
	Action  string
	Version int
	Field   string // empty when no single field is at fault
	Err     error
}

func (e *EventError) Error() string {
	msg := fmt.Sprintf("entevents: event %v (%s %s v%d)", e.EventID, e.Entity, e.Action, e.Version)
	if e.Field != "" {
		msg += fmt.Sprintf(": field %q", e.Field)
	}
	return msg + ": " + inner(e.Err)
}

func (e *EventError) Unwrap() error { return e.Err }
