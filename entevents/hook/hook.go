package hook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"entgo.io/ent"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Capture returns the hook that records events. It runs the mutation (and the hooks
// inside it) first, then records what was finally executed: values set by defaults
// and by other hooks are part of the event.
func Capture() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if eventlog.IsReplaying(ctx) {
				return next.Mutate(ctx, m)
			}
			tm, ok := m.(eventlog.Mutation)
			if !ok {
				return nil, fmt.Errorf("%w (entity %s)", eventlog.ErrNotGenerated, m.Type())
			}
			return capture(ctx, tm, next)
		})
	}
}

func actionType(op ent.Op) string {
	switch {
	case op.Is(ent.OpCreate):
		return eventlog.TypeCreate
	case op.Is(ent.OpUpdate | ent.OpUpdateOne):
		return eventlog.TypeUpdate
	default:
		return eventlog.TypeDelete
	}
}

func capture(ctx context.Context, m eventlog.Mutation, next ent.Mutator) (ent.Value, error) {
	e := m.EnteventsEntity()
	op := m.Op()
	typ := actionType(op)
	action := eventlog.ActionFrom(ctx)
	if action == "" {
		action = typ
	}
	if !e.Records(action) {
		return next.Mutate(ctx, m)
	}
	fail := func(field string, err error) error {
		var me *eventlog.MutationError
		if errors.As(err, &me) {
			if me.Action == "" {
				me.Action = action
			}
			return err
		}
		return &eventlog.MutationError{Entity: e.Name, Action: action, Field: field, Err: err}
	}
	// Everything that can be checked before writing is checked here.
	log := e.Log
	opts, err := log.Options()
	if err != nil {
		return nil, fail("", err)
	}
	actorCol, actor, err := resolveActor(log, eventlog.ActorFrom(ctx))
	if err != nil {
		return nil, fail("", err)
	}
	metadata, err := encodeMetadata(eventlog.MetadataFrom(ctx))
	if err != nil {
		return nil, fail("", err)
	}
	frame, err := eventlog.Begin(ctx, m.EnteventsDriver(), e, op.Is(ent.OpCreate))
	if err != nil {
		return nil, fail("", err)
	}
	mctx := frame.Ctx
	defer func() {
		// A panic below (another hook, the driver) must not leave the frame open:
		// its transaction would leak, and a bulk group would stay registered for
		// a later goroutine to join.
		if r := recover(); r != nil {
			frame.Abort(fmt.Errorf("panic: %v", r), true)
			panic(r)
		}
	}()

	var ids []any
	if op.Is(ent.OpUpdate | ent.OpDelete) {
		if ids, err = m.EnteventsResolveIDs(mctx); err != nil {
			frame.Abort(err, false)
			return nil, fail("", fmt.Errorf("resolve affected ids: %w", err))
		}
	}
	v, err := next.Mutate(mctx, m)
	if err != nil {
		frame.Abort(err, false)
		return nil, err
	}
	switch {
	case op.Is(ent.OpUpdate | ent.OpDelete):
		if n, ok := v.(int); ok && n == 0 {
			// ent executes no statement for an update that sets nothing (and the
			// resolved rows are locked, so none vanished): there is nothing to
			// record, but what hooks inside wrote must still commit.
			if err := frame.Done(log, nil); err != nil {
				return nil, err
			}
			return v, nil
		}
		if n, ok := v.(int); ok && n != len(ids) {
			err := fmt.Errorf("affected %d rows where %d were resolved", n, len(ids))
			frame.Abort(err, true)
			return nil, fail("", err)
		}
	case op.Is(ent.OpDeleteOne):
		if n, ok := v.(int); ok && n == 0 {
			// No such row (ent reports NotFound after the hooks): nothing to record.
			if err := frame.Done(log, nil); err != nil {
				return nil, err
			}
			return v, nil
		}
		fallthrough
	default:
		id, ok := m.EnteventsID()
		if !ok {
			err := errors.New("the mutated row's id is unknown")
			frame.Abort(err, true)
			return nil, fail("", err)
		}
		ids = []any{id}
	}

	// The vault of the client's driver (DriverOptions), else the EventLog's.
	vault := eventlog.VaultOf(frame.Tx())
	if vault == nil {
		vault = opts.Vault
	}
	records, err := build(mctx, m, e, frame, buildInput{
		typ: typ, action: action, ids: ids, actorCol: actorCol, actor: actor,
		metadata: metadata, sensitive: vault != nil || opts.UnsafeStoreSensitivePlaintext,
	})
	if err == nil {
		err = log.SealWith(mctx, vault, records)
	}
	if err != nil {
		err = fail("", err)
		frame.Abort(err, true)
		return nil, err
	}
	if err := frame.Done(log, records); err != nil {
		return nil, err
	}
	return v, nil
}

type buildInput struct {
	typ, action string
	ids         []any
	actorCol    string
	actor       any
	metadata    json.RawMessage
	sensitive   bool
}

func build(ctx context.Context, m eventlog.Mutation, e *eventlog.Entity, frame *eventlog.Frame, in buildInput) ([]*eventlog.Record, error) {
	var (
		data    []byte
		changed []byte
		err     error
	)
	action := in.action
	if in.typ == eventlog.TypeCreate && frame.Upserted() {
		if eventlog.ActionFrom(ctx) == "" {
			action = eventlog.ActionUpsert
		}
		data, changed, err = encodeRow(ctx, m, e, in.ids[0], in.sensitive)
	} else if in.typ != eventlog.TypeDelete {
		var d *eventlog.Data
		var names []string
		if d, names, err = e.EncodeMutation(m, in.sensitive); err == nil {
			if in.typ == eventlog.TypeUpdate && len(names) == 0 {
				// An UpdateOne that sets nothing writes nothing (ent only reads the
				// row back): like Update().Where, it records nothing.
				return nil, nil
			}
			data, changed, err = marshalData(d, names)
		}
	} else {
		data, changed = []byte("{}"), []byte("[]")
	}
	if err != nil {
		return nil, err
	}
	now := frame.OccurredAt()
	version := e.Version(action)
	records := make([]*eventlog.Record, len(in.ids))
	for i, id := range in.ids {
		rid, err := e.Log.FormatRecordID(id)
		if err != nil {
			return nil, err
		}
		records[i] = &eventlog.Record{
			Entity: e.Name, RecordID: rid, Action: action, ActionType: in.typ, Version: version,
			Data: data, Changed: changed, Metadata: in.metadata,
			ActorColumn: in.actorCol, Actor: in.actor, OccurredAt: now,
		}
	}
	return records, nil
}

func marshalData(d *eventlog.Data, changed []string) ([]byte, []byte, error) {
	// The values in d are compact JSON (EncodeMutation, json.Marshal): AppendJSON
	// writes what json.Marshal(d) would, without sorting by reflection and
	// re-validating every value (it was a hot spot of bulk writes).
	return d.AppendJSON(make([]byte, 0, 256)), eventlog.AppendStrings(nil, changed), nil
}

// encodeRow records the row an upsert left behind, read back in the transaction.
func encodeRow(ctx context.Context, m eventlog.Mutation, e *eventlog.Entity, id any, sensitive bool) ([]byte, []byte, error) {
	set, cleared, err := m.EnteventsRow(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("read back the upserted row: %w", err)
	}
	// The row holds the fields; edges come from the mutation.
	md, edgeNames, err := e.EncodeMutation(m, sensitive)
	if err != nil {
		return nil, nil, err
	}
	d := &eventlog.Data{Upsert: true, Fields: make(map[string]json.RawMessage, len(set)), Cleared: cleared, Edges: md.Edges}
	changed := make([]string, 0, len(set)+len(cleared))
	for _, name := range edgeNames {
		if md.Edges[name] != nil {
			changed = append(changed, name)
		}
	}
	for _, f := range e.Fields {
		v, ok := set[f.Name]
		if !ok {
			continue
		}
		changed = append(changed, f.Name)
		if f.Sensitive && !sensitive {
			d.Redacted = append(d.Redacted, f.Name)
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, nil, &eventlog.MutationError{Entity: e.Name, Field: f.Name, Err: fmt.Errorf("%w: %v", eventlog.ErrEncode, err)}
		}
		d.Fields[f.Name] = raw
	}
	changed = append(changed, cleared...)
	sort.Strings(changed)
	return marshalData(d, changed)
}

func encodeMetadata(md map[string]any) (json.RawMessage, error) {
	if md == nil {
		return json.RawMessage("{}"), nil
	}
	b, err := json.Marshal(md)
	if err != nil {
		// Name the entry at fault (the first, in key order).
		names := make([]string, 0, len(md))
		for k := range md {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if _, kerr := json.Marshal(md[k]); kerr != nil {
				return nil, fmt.Errorf("%w metadata key %q: %v", eventlog.ErrEncode, k, kerr)
			}
		}
		return nil, fmt.Errorf("%w metadata: %v", eventlog.ErrEncode, err)
	}
	return b, nil
}

func resolveActor(log *eventlog.Log, actor any) (string, any, error) {
	if actor == nil {
		return "", nil, nil
	}
	if log.Actor != nil {
		if col, v, ok := log.Actor(actor); ok {
			return col, v, nil
		}
	}
	return "", nil, fmt.Errorf("%w: actor of type %T (configure an actor column for it on the EventLog)", eventlog.ErrUnknownActor, actor)
}
