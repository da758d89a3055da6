package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"sync"

	"entgo.io/ent"
	"entgo.io/ent/dialect/sql/sqlgraph"
	"entgo.io/ent/schema/field"
	"github.com/google/uuid"
)

// Column names of the generated Event entity.
const (
	ColumnID                = "id"
	ColumnRecordID          = "record_id"
	ColumnEntity            = "entity"
	ColumnAction            = "action"
	ColumnActionType        = "action_type"
	ColumnVersion           = "version"
	ColumnData              = "data"
	ColumnChangedFields     = "changed_fields"
	ColumnMetadata          = "metadata"
	ColumnEncryptedData     = "encrypted_data"
	ColumnEncryptedMetadata = "encrypted_metadata"
	ColumnOccurredAt        = "occurred_at"
)

// Action types, the values of the action_type column.
const (
	TypeCreate = "create"
	TypeUpdate = "update"
	TypeDelete = "delete"
)

// ActionUpsert is the action name recorded for a create that ran with OnConflict
// when the context names no action. Its data holds the whole resulting row.
const ActionUpsert = "upsert"

// DefaultLockKey is the PostgreSQL advisory lock key used to order event writers.
const DefaultLockKey int64 = 2147483647

// Vault encrypts and decrypts event data and metadata. aad is additional
// authenticated data that binds a ciphertext to its event: decrypting with other
// aad must fail. Implementations must be safe for concurrent use.
type Vault interface {
	Encrypt(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Decrypt(ctx context.Context, ciphertext, aad []byte) ([]byte, error)
}

// Options are the run-time options of the event log, taken from the EventLog mixin
// of the Event schema.
type Options struct {
	// LockKey is the advisory lock key. Defaults to DefaultLockKey. The guarantee
	// the lock gives is documented on the EventLog mixin (mixin.EventLog.LockKey).
	LockKey int64
	// LockKeyPair, when set, is used as the two-int32 form of the advisory lock.
	LockKeyPair *[2]int32
	// LockKeyFunc, when set, returns the lock key of a transaction (for example per
	// tenant), called with the context the transaction began with. Events are then
	// ordered only among the transactions of the same key.
	LockKeyFunc func(ctx context.Context) int64
	// DisableLock turns the PostgreSQL ordering lock off. Readers tailing the log by
	// id may then miss events; for diagnostics and benchmarks.
	DisableLock bool
	// EarlyUnlock releases the ordering lock before the commit is flushed. The
	// trade-off is documented on the EventLog mixin (mixin.EventLog.EarlyUnlock).
	EarlyUnlock bool
	// Vault, when set, encrypts data and metadata.
	Vault Vault
	// UnsafeStoreSensitivePlaintext stores the values of sensitive fields in
	// plaintext event data when no vault is configured.
	UnsafeStoreSensitivePlaintext bool
}

// Probe is passed as the next Mutator to the hooks of the Event schema by
// generated code: the EventLog mixin's hook fills in its options. Internal.
type Probe struct {
	Options *Options
}

// Mutate implements ent.Mutator; a probe is never executed.
func (*Probe) Mutate(context.Context, ent.Mutation) (ent.Value, error) {
	return nil, fmt.Errorf("entevents: probe mutator called")
}

// ActorColumn is an actor column of the event log.
type ActorColumn struct {
	Column string
	Type   field.Type
}

// Log describes the Event entity of a generated package.
type Log struct {
	Table        string
	IDType       field.Type // field.TypeInt64 or field.TypeUUID
	RecordIDType field.Type // field.TypeString, field.TypeUUID or field.TypeInt64
	Actors       []ActorColumn
	// Actor maps an actor value to its column and stored value (generated).
	Actor func(actor any) (column string, value any, ok bool)
	// LoadOptions returns the run-time options (generated; reads the EventLog mixin).
	LoadOptions func() (*Options, error)

	once sync.Once
	opts *Options
	err  error
}

// Options returns the run-time options of the log, loading them once.
func (l *Log) Options() (*Options, error) {
	l.once.Do(func() {
		if l.LoadOptions == nil {
			l.opts = &Options{}
		} else {
			l.opts, l.err = l.LoadOptions()
		}
		if l.opts != nil && l.opts.LockKey == 0 {
			l.opts.LockKey = DefaultLockKey
		}
	})
	return l.opts, l.err
}

// Columns returns the columns written for each event, in insert order.
func (l *Log) Columns() []string {
	cols := []string{ColumnRecordID, ColumnEntity, ColumnAction, ColumnActionType, ColumnVersion,
		ColumnData, ColumnChangedFields, ColumnMetadata, ColumnEncryptedData, ColumnEncryptedMetadata, ColumnOccurredAt}
	for _, a := range l.Actors {
		cols = append(cols, a.Column)
	}
	return cols
}

// FormatRecordID converts an entity id to the value stored in record_id.
func (l *Log) FormatRecordID(id any) (any, error) {
	switch l.RecordIDType {
	case field.TypeUUID:
		if u, ok := id.(uuid.UUID); ok {
			return u, nil
		}
	case field.TypeInt64:
		if n, ok := Int64(id); ok {
			return n, nil
		}
	default:
		switch v := id.(type) {
		case string:
			return v, nil
		case fmt.Stringer:
			return v.String(), nil
		}
		if n, ok := Int64(id); ok {
			return strconv.FormatInt(n, 10), nil
		}
		if n, ok := id.(uint64); ok {
			return strconv.FormatUint(n, 10), nil
		}
	}
	return nil, fmt.Errorf("id %v of type %T cannot be stored as record_id of type %s", id, id, l.RecordIDType)
}

// Int64 converts a value of any integer kind (named types included) to int64. It
// reports false for other kinds and for unsigned values above MaxInt64.
func Int64(v any) (int64, bool) {
	if n, ok := v.(int64); ok {
		return n, true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u), true
		}
	}
	return 0, false
}

// Field describes a field of a tracked entity.
type Field struct {
	Name      string
	Column    string
	Type      field.Type
	Sensitive bool
	// Decode decodes the JSON form of a value into the field's Go type (generated).
	Decode func(json.RawMessage) (any, error)
	// DecodeAdd decodes the JSON form of a numeric delta (AddX) into the type the
	// mutation's AddField takes: the signed counterpart of unsigned fields, e.g.
	// int64 for a uint64 field (generated). Nil for fields ent cannot add to.
	DecodeAdd func(json.RawMessage) (any, error)
}

// Edge describes an edge of a tracked entity, as sqlgraph needs it.
type Edge struct {
	Name         string
	Target       string // target entity name
	Rel          sqlgraph.Rel
	Inverse      bool
	Bidi         bool
	Unique       bool
	Table        string
	Columns      []string
	TargetIDType field.Type
	TargetIDCol  string
	// Field is the edge field holding the foreign key, if the edge has one.
	Field string
	// DecodeID decodes the JSON form of a target id (generated).
	DecodeID func(json.RawMessage) (any, error)
}

// Entity describes a tracked entity (generated).
type Entity struct {
	Name     string
	Table    string
	IDColumn string
	IDType   field.Type
	// DecodeID decodes the JSON form of an id into the entity's id Go type.
	DecodeID func(json.RawMessage) (any, error)
	Fields   []*Field
	Edges    []*Edge
	Versions map[string]int
	Ignore   []string
	Only     []string
	Log      *Log
	// Columns lists the entity's columns, id first, for reading rows back.
	Columns []string

	fields map[string]int // positions in Fields
	edges  map[string]*Edge
}

// Field returns the named field, or nil.
func (e *Entity) Field(name string) *Field {
	if i, ok := e.fields[name]; ok {
		return e.Fields[i]
	}
	return nil
}

// Edge returns the named edge, or nil.
func (e *Entity) Edge(name string) *Edge { return e.edges[name] }

// Version returns the current version of action (default 1).
func (e *Entity) Version(action string) int {
	if v, ok := e.Versions[action]; ok {
		return v
	}
	return 1
}

// Records reports whether action is recorded, after Ignore and Only.
func (e *Entity) Records(action string) bool {
	if slices.Contains(e.Ignore, action) {
		return false
	}
	return len(e.Only) == 0 || slices.Contains(e.Only, action)
}

// ParseRecordID converts a stored record_id back to the entity's id value.
func (e *Entity) ParseRecordID(v any) (any, error) {
	var raw []byte
	switch id := v.(type) {
	case string:
		if e.IDType == field.TypeString {
			raw, _ = json.Marshal(id)
		} else if e.IDType == field.TypeUUID {
			raw = []byte(strconv.Quote(id))
		} else {
			raw = []byte(id)
		}
	case uuid.UUID:
		raw = []byte(strconv.Quote(id.String()))
	case int64:
		raw = []byte(strconv.FormatInt(id, 10))
	case []byte:
		return e.ParseRecordID(string(id))
	default:
		return nil, fmt.Errorf("record_id of type %T", v)
	}
	id, err := e.DecodeID(raw)
	if err != nil {
		return nil, fmt.Errorf("record_id %v: %w", v, err)
	}
	return id, nil
}

// Binding is what a generated ent package tells the runtime: its event log and
// tracked entities.
type Binding struct {
	Log      *Log
	entities map[string]*Entity
	names    []string
}

// NewBinding links the descriptors of a generated package.
func NewBinding(log *Log, entities ...*Entity) *Binding {
	b := &Binding{Log: log, entities: make(map[string]*Entity, len(entities))}
	for _, e := range entities {
		e.Log = log
		e.fields = make(map[string]int, len(e.Fields))
		for i, f := range e.Fields {
			e.fields[f.Name] = i
		}
		e.edges = make(map[string]*Edge, len(e.Edges))
		for _, ed := range e.Edges {
			e.edges[ed.Name] = ed
		}
		b.entities[e.Name] = e
		b.names = append(b.names, e.Name)
	}
	sort.Strings(b.names)
	return b
}

// Entity returns the tracked entity with the given schema name, or nil.
func (b *Binding) Entity(name string) *Entity { return b.entities[name] }

// Entities returns the tracked entities sorted by name.
func (b *Binding) Entities() []*Entity {
	es := make([]*Entity, len(b.names))
	for i, n := range b.names {
		es[i] = b.entities[n]
	}
	return es
}

// FieldBacked reports whether the edge's foreign key is also a field of the entity
// (an edge field): its changes are then carried by the field.
func (e *Edge) FieldBacked() bool { return e.Field != "" }
