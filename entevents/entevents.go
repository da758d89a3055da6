package entevents

import (
	"context"

	"entgo.io/ent/dialect"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/entevents/mixin"
)

type (
	// Mixin records every create, update and delete of the schema it is mixed into.
	Mixin = mixin.Tracked
	// EventLog declares the Event entity that stores the events; see its fields for
	// the options.
	EventLog = mixin.EventLog
	// Versions sets the current version of actions (schema annotation), e.g.
	// entevents.Versions{"create": 2}. Unlisted actions are at version 1.
	Versions = mixin.Versions
	// Actor is an actor column of the event log.
	Actor = mixin.Actor
	// System is an actor that is not an entity, such as a background job.
	System = eventlog.System
	// Vault encrypts and decrypts event data and metadata.
	Vault = eventlog.Vault
	// Driver is an ent driver wrapped by WrapDriver.
	Driver = eventlog.Driver
	// DriverOptions are the options of one wrapped driver (WrapDriverWith), such
	// as a vault of its own in place of EventLog.Vault.
	DriverOptions = eventlog.DriverOptions
	// MutationError reports a tracked mutation that could not be recorded.
	MutationError = eventlog.MutationError
	// EventError reports an event that could not be decoded or applied.
	EventError = eventlog.EventError
)

// Options of EventLog.
const (
	IDInt64        = mixin.IDInt64
	IDUUIDv7       = mixin.IDUUIDv7
	RecordIDString = mixin.RecordIDString
	RecordIDUUID   = mixin.RecordIDUUID
	RecordIDInt64  = mixin.RecordIDInt64
	ActorInt64     = mixin.ActorInt64
	ActorString    = mixin.ActorString
	ActorUUID      = mixin.ActorUUID
)

// DefaultLockKey is the default PostgreSQL advisory lock key.
const DefaultLockKey = eventlog.DefaultLockKey

// Errors, to match with errors.Is.
var (
	ErrDriverNotWrapped = eventlog.ErrDriverNotWrapped
	ErrNotGenerated     = eventlog.ErrNotGenerated
	ErrUnknownActor     = eventlog.ErrUnknownActor
	ErrEncode           = eventlog.ErrEncode
	ErrDecode           = eventlog.ErrDecode
	ErrTxAborted        = eventlog.ErrTxAborted
	ErrImmutableEvent   = mixin.ErrImmutableEvent
)

// Ignore returns a schema annotation whose actions are executed but never recorded.
func Ignore(actions ...string) mixin.IgnoreAnnotation { return mixin.Ignore(actions...) }

// Only returns a schema annotation under which only the given actions are recorded.
func Only(actions ...string) mixin.OnlyAnnotation { return mixin.Only(actions...) }

// EntityActor returns an actor column that stores the int64 primary key of entities
// of the named schema, e.g. EntityActor("user_id", "User").
func EntityActor(column, entity string) Actor { return mixin.EntityActor(column, entity) }

// SystemActor returns a string actor column for System actors.
func SystemActor(column string) Actor { return mixin.SystemActor(column) }

// WithActor returns a context whose tracked mutations record actor: a pointer to
// an entity of an EntityActor column (its id is stored), or a System value. A nil
// entity pointer records no actor; a value of any other type fails the mutation
// with ErrUnknownActor before anything is written.
func WithActor(ctx context.Context, actor any) context.Context {
	return eventlog.WithActor(ctx, actor)
}

// WithMetadata returns a context whose tracked mutations record metadata.
func WithMetadata(ctx context.Context, metadata map[string]any) context.Context {
	return eventlog.WithMetadata(ctx, metadata)
}

// WithAction returns a context whose tracked mutations record action as their
// action name instead of create, update or delete.
func WithAction(ctx context.Context, action string) context.Context {
	return eventlog.WithAction(ctx, action)
}

// IsReplaying reports whether ctx belongs to a running replay.
func IsReplaying(ctx context.Context) bool { return eventlog.IsReplaying(ctx) }

// WrapDriver wraps an ent driver so that tracked mutations and their events are
// written atomically, in a transaction of their own when the caller has none.
func WrapDriver(drv dialect.Driver) *Driver { return eventlog.WrapDriver(drv) }

// WrapDriverWith is WrapDriver with options for this driver only, e.g. a vault per
// client or tenant:
//
//	drv := entevents.WrapDriverWith(entsql.OpenDB(dialect.Postgres, db), &entevents.DriverOptions{Vault: kr})
//	client := ent.NewClient(ent.Driver(drv))
//
// Wrapping a driver that is already wrapped (the generated ent.Open wraps its
// driver) returns a new wrapper of the same underlying driver with these options.
func WrapDriverWith(drv dialect.Driver, opts *DriverOptions) *Driver {
	return eventlog.WrapDriverWith(drv, opts)
}
