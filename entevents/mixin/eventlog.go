package mixin

import (
	"context"
	stdjson "encoding/json"
	"errors"
	"strings"

	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents/eventlog"
)

// IDType is the primary key type of the Event entity.
type IDType string

// Primary key types.
const (
	IDInt64  IDType = "int64"  // auto-increment, ordered by commit on PostgreSQL (default)
	IDUUIDv7 IDType = "uuidv7" // UUID version 7, generated when the events are written
)

// RecordIDType is the type of the record_id column.
type RecordIDType string

// record_id types.
const (
	RecordIDString RecordIDType = "string" // works for every id type (default)
	RecordIDUUID   RecordIDType = "uuid"   // every tracked entity must have UUID ids
	RecordIDInt64  RecordIDType = "int64"  // every tracked entity must have integer ids
)

// ActorType is the column type of an actor column.
type ActorType string

// Actor column types.
const (
	ActorInt64  ActorType = "int64"
	ActorString ActorType = "string"
	ActorUUID   ActorType = "uuid"
)

// Actor is an actor column of the event log. Each column is nullable; an event
// fills the one column that accepts its actor.
type Actor struct {
	// Column is the column name, e.g. "user_id".
	Column string `json:"column"`
	// Entity, when set, is the ent schema name whose entities (pointers of the
	// generated type) are stored in this column by primary key.
	Entity string `json:"entity,omitempty"`
	// Type is the column type. Defaults to int64 for an Entity actor, string
	// otherwise. A column without Entity accepts entevents.System values.
	Type ActorType `json:"type,omitempty"`
}

func (a Actor) columnType() ActorType {
	switch {
	case a.Type != "":
		return a.Type
	case a.Entity != "":
		return ActorInt64
	default:
		return ActorString
	}
}

// EntityActor returns an actor column storing the primary key (int64) of entities
// of the named schema, e.g. EntityActor("user_id", "User").
func EntityActor(column, entity string) Actor { return Actor{Column: column, Entity: entity} }

// SystemActor returns a string actor column for entevents.System actors, e.g.
// background jobs.
func SystemActor(column string) Actor { return Actor{Column: column, Type: ActorString} }

// LogAnnotation carries the generate-time options of EventLog to the code generator.
type LogAnnotation struct {
	IDType       IDType       `json:"id_type"`
	RecordIDType RecordIDType `json:"record_id_type"`
	Actors       []Actor      `json:"actors,omitempty"`
}

// Name implements schema.Annotation.
func (LogAnnotation) Name() string { return LogName }

// ErrImmutableEvent is returned by updates of the Event entity: events are
// append-only. Deleting events (retention) is allowed.
var ErrImmutableEvent = errors.New("entevents: events are immutable: the Event entity cannot be updated")

// EventLog turns the schema it is mixed into into the event log (entevents.EventLog).
// Declare it once, on a schema named Event by convention.
type EventLog struct {
	mixin.Schema
	// IDType is the primary key type. Defaults to IDInt64.
	IDType IDType
	// RecordIDType is the type of record_id. Defaults to RecordIDString.
	RecordIDType RecordIDType
	// Actors are the actor columns.
	Actors []Actor
	// LockKey is the PostgreSQL advisory lock key that orders event writers.
	// Defaults to 2147483647.
	//
	// The guarantee, with int64 ids: event ids grow in commit order, so a reader
	// that polls "id > last_seen" never misses an event and never sees one below an
	// id it has passed, whatever the number of concurrent writers, connections and
	// processes. A transaction buffers its events and inserts them as it commits;
	// that INSERT takes pg_advisory_xact_lock(key) before it draws ids from the
	// sequence, and PostgreSQL releases the lock only once the COMMIT is visible. The
	// lock is thus held from the event INSERT to the end of COMMIT (one round trip
	// plus the commit's WAL flush), never while the transaction does its own work,
	// and transactions without events do not take it. Every writer of the table must
	// take it: one client with DisableLock breaks the guarantee for all readers.
	//
	// With UUIDv7 ids the writing process generates the ids once it holds the lock:
	// they grow in commit order among the writers of one process, across processes
	// only as far as their clocks agree (a host whose clock is behind can commit a
	// smaller id after a larger one). Use int64 ids when several processes write
	// and readers tail the log by id.
	//
	// SQLite needs no lock: it runs one writing transaction at a time, holding the
	// write lock from its first write to COMMIT, and AUTOINCREMENT never reuses ids,
	// so ids grow in commit order. The lock options are ignored there.
	LockKey int64
	// LockKeyPair, when set, is used instead of LockKey as the two-int32 lock key
	// (pg_advisory_xact_lock(int, int)).
	LockKeyPair *[2]int32
	// LockKeyFunc, when set, returns the lock key of a transaction, e.g. per tenant.
	// It is called once per committing transaction that has events, with the
	// context the transaction was begun with (a tracked mutation made outside a
	// transaction: the mutation's context). Transactions under different keys do not
	// wait for each other, so the guarantee holds only among the events written
	// under one key: a reader that tails only those events (it must be able to
	// select them, e.g. by tenant metadata or actor) never misses one, but a reader
	// of the whole log can: a transaction under key A may take id 10 and commit
	// after one under key B took id 11.
	LockKeyFunc func(ctx context.Context) int64
	// DisableLock turns the ordering lock off: readers tailing by id may miss
	// events. For benchmarks and diagnostics; entevents.DriverOptions.DisableLock
	// (entevents.WrapDriverWith) does the same for one client.
	DisableLock bool
	// EarlyUnlock makes committing transactions release the ordering lock as
	// soon as their commit is visible, before its commit record is flushed to
	// disk, so that concurrent writers' commits are flushed together instead
	// of one after the other (with the lock held through the flush, PostgreSQL
	// can flush only one locked commit at a time). The events' transaction
	// commits with synchronous_commit off, and the same query begins a second
	// transaction, which writes an empty logical message of prefix "entevents"
	// (pg_logical_emit_message, recorded in the WAL and seen by logical
	// decoding consumers) so that its synchronous COMMIT, the one the
	// application's Commit waits for, flushes the WAL past the first. Commit
	// thus still returns only once the transaction is durable (and, with
	// synchronous replication, replicated), and ids still grow in commit order.
	//
	// What readers give up: for the moment between the commit and its flush a
	// reader can see events that a crash of the server in that moment loses,
	// and after such a crash the lost events' ids can be taken again, by
	// events that a reader which saw the lost ones skips. Without EarlyUnlock
	// a reader never sees an event before it is durable on the server. Off by
	// default; entevents.DriverOptions.EarlyUnlock turns it on for one client.
	// Ignored on SQLite and when the lock is off.
	EarlyUnlock bool
	// Vault, when set, encrypts the data and metadata of every event.
	Vault eventlog.Vault
	// UnsafeStoreSensitivePlaintext stores values of field.Sensitive() fields in
	// plaintext when no Vault is set. Off by default: they are left out.
	UnsafeStoreSensitivePlaintext bool
}

func (l EventLog) annotation() LogAnnotation {
	a := LogAnnotation{IDType: l.IDType, RecordIDType: l.RecordIDType, Actors: make([]Actor, len(l.Actors))}
	if a.IDType == "" {
		a.IDType = IDInt64
	}
	if a.RecordIDType == "" {
		a.RecordIDType = RecordIDString
	}
	for i, ac := range l.Actors {
		ac.Type = ac.columnType()
		a.Actors[i] = ac
	}
	return a
}

// Fields returns the columns of the event log.
func (l EventLog) Fields() []ent.Field {
	a := l.annotation()
	var fields []ent.Field
	if a.IDType == IDUUIDv7 {
		fields = append(fields, field.UUID("id", uuid.UUID{}).Immutable())
	} else {
		fields = append(fields, field.Int64("id").Immutable())
	}
	switch a.RecordIDType {
	case RecordIDUUID:
		fields = append(fields, field.UUID("record_id", uuid.UUID{}).Immutable())
	case RecordIDInt64:
		fields = append(fields, field.Int64("record_id").Immutable())
	default:
		fields = append(fields, field.String("record_id").Immutable())
	}
	fields = append(fields,
		field.String("entity").Immutable().Comment("Schema name of the tracked entity."),
		field.String("action").Immutable().Comment("Action name: the operation unless entevents.WithAction named it."),
		field.Enum("action_type").Values(eventlog.TypeCreate, eventlog.TypeUpdate, eventlog.TypeDelete).Immutable(),
		field.Int("version").Immutable(),
		field.JSON("data", stdjson.RawMessage{}).Optional().Immutable().Comment("Fields and edges the mutation set; NULL when encrypted."),
		field.JSON("changed_fields", []string{}).Immutable(),
		field.JSON("metadata", stdjson.RawMessage{}).Optional().Immutable().Comment("From entevents.WithMetadata; NULL when encrypted."),
		field.Bytes("encrypted_data").Optional().Nillable().Immutable().Sensitive(),
		field.Bytes("encrypted_metadata").Optional().Nillable().Immutable().Sensitive(),
		field.Time("occurred_at").Immutable(),
	)
	for _, ac := range a.Actors {
		var f ent.Field
		switch ac.Type {
		case ActorUUID:
			f = field.UUID(ac.Column, uuid.UUID{}).Optional().Nillable().Immutable()
		case ActorString:
			f = field.String(ac.Column).Optional().Nillable().Immutable()
		default:
			f = field.Int64(ac.Column).Optional().Nillable().Immutable()
		}
		fields = append(fields, f)
	}
	return fields
}

// Indexes returns the indexes the read side needs. An actor column's index is
// partial (WHERE column IS NOT NULL, on PostgreSQL and SQLite): an event has
// one actor at most, so writing it does not touch the indexes of the other
// actor columns, and a query by actor (column = value) still uses it.
func (l EventLog) Indexes() []ent.Index {
	idx := []ent.Index{
		index.Fields("entity", "record_id"),
		index.Fields("occurred_at"),
	}
	for _, ac := range l.Actors {
		idx = append(idx, index.Fields(ac.Column).
			Annotations(entsql.IndexWhere(`"`+strings.ReplaceAll(ac.Column, `"`, `""`)+`" IS NOT NULL`)))
	}
	return idx
}

// Annotations passes the options to the code generator and names the table.
func (l EventLog) Annotations() []schema.Annotation {
	return []schema.Annotation{l.annotation(), entsql.Annotation{Table: "events"}}
}

// Hooks returns a hook that keeps events append-only. It also hands the run-time
// options (lock, vault) to the generated code, which probes it once.
func (l EventLog) Hooks() []ent.Hook {
	opts := &eventlog.Options{
		LockKey: l.LockKey, LockKeyPair: l.LockKeyPair, LockKeyFunc: l.LockKeyFunc,
		DisableLock: l.DisableLock, EarlyUnlock: l.EarlyUnlock, Vault: l.Vault, UnsafeStoreSensitivePlaintext: l.UnsafeStoreSensitivePlaintext,
	}
	return []ent.Hook{func(next ent.Mutator) ent.Mutator {
		if p, ok := next.(*eventlog.Probe); ok {
			p.Options = opts
			return next
		}
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if m.Op().Is(ent.OpUpdate | ent.OpUpdateOne) {
				return nil, ErrImmutableEvent
			}
			return next.Mutate(ctx, m)
		})
	}}
}

var _ ent.Mixin = EventLog{}
