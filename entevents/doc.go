// Package entevents adds event sourcing and an audit log to ent.
//
// Mix Mixin into a schema and every create, update and delete of that entity is
// written, in the same transaction, as a row of the Event entity that EventLog
// declares: who did it (WithActor), why (WithMetadata), what changed, and which
// version of the action. The replay package rebuilds the tracked tables from the log.
//
// Set-up takes three steps: add codegen.Extension() to entc.go, declare the Event
// schema with EventLog, and open the client through the generated ent.Open (or pass
// WrapDriver(drv) to ent.Driver) so that every tracked write is atomic.
package entevents
