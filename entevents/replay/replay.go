package replay

import (
	"context"
	"errors"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Client is the constraint on the client given to Run: the client of an ent
// package generated with the entevents extension (codegen.Extension) satisfies
// it, with C its own type (for example *ent.Client). The methods are generated;
// applications do not call them.
type Client[C any] interface {
	// Entevents returns the binding of the generated package: its event log and
	// tracked entities.
	Entevents() *eventlog.Binding
	// EnteventsTx begins a transaction and returns a client bound to it.
	EnteventsTx(ctx context.Context) (client C, commit, rollback func() error, err error)
	// EnteventsDialectTx returns the transaction a transaction-bound client uses.
	EnteventsDialectTx() (dialect.Tx, bool)
	// EnteventsDriver returns the client's driver (for a transaction-bound
	// client, a driver over its transaction).
	EnteventsDriver() dialect.Driver
}

// Run rebuilds the tracked tables of client's package from its event log.
//
// In one transaction it clears the tracked tables (ClearTracked, or the function
// given with ClearWith), then applies the events in id order — all of them, or
// those selected by UntilEventID and UntilTime — and finally, on PostgreSQL,
// moves the id sequences of integer ids past the highest id the tables hold or
// the replay created (never backwards). If anything fails the transaction is
// rolled back and the tables are exactly as before; the error is an
// *entevents.EventError naming the event (id, entity, action, version and, when
// one is at fault, the field) unless it happened outside any event, and wraps
// ErrUnknownEntity, ErrUnknownAction, ErrUnknownVersion, ErrRecordNotFound,
// entevents.ErrDecode, a vault error or the database error. Given a
// transaction-bound client (tx.Client()), Run uses that transaction and leaves
// committing or rolling back to the caller.
//
// Each event is applied as the mutation it records was finally executed: the
// same ids (auto-increment ones too), field values, cleared fields, numeric adds,
// upserted rows and edge changes (foreign keys and join-table rows), written
// directly with sqlgraph. No hook, interceptor or privacy policy of the
// application runs, and no event is recorded. Consecutive events that can be are
// applied together: creates of one entity setting the same columns as one
// multi-row INSERT, identical updates of one entity (an Update().Where(...)) as
// one UPDATE, deletes of one entity as one DELETE.
//
// Events are read with plain SQL in pages of PageSize, through the transaction,
// so memory does not grow with the log; encrypted events are decrypted with the
// client's vault (entevents.DriverOptions.Vault) or the EventLog's. Events
// recorded with a version newer than the schema's current version of their
// action, of an entity the schema does not track, or of an unknown action type
// fail the replay unless a Route takes them. Values of sensitive fields that
// were left out of the events (no vault) are not restored: their columns stay
// NULL (or at the database default).
//
// ctx, as passed to the clear function and to route handlers, carries
// entevents.IsReplaying: the capture hook records nothing for it.
func Run[C Client[C]](ctx context.Context, client C, opts ...Option) (err error) {
	cfg := &config{pageSize: DefaultPageSize}
	for _, o := range opts {
		if o != nil {
			o.apply(cfg)
		}
	}
	s, err := resolve[C](cfg, client.Entevents())
	if err != nil {
		return err
	}
	ctx = eventlog.WithReplaying(ctx)
	if _, ok := client.EnteventsDialectTx(); ok {
		return s.run(ctx, client)
	}
	txc, commit, rollback, err := client.EnteventsTx(ctx)
	if err != nil {
		return fmt.Errorf("entevents: replay: begin transaction: %w", err)
	}
	done := false
	defer func() {
		if !done {
			// A panicking handler or clear function.
			_ = rollback()
		}
	}()
	if err := s.run(ctx, txc); err != nil {
		done = true
		if rerr := rollback(); rerr != nil {
			return fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return err
	}
	done = true
	if err := commit(); err != nil {
		return fmt.Errorf("entevents: replay: commit: %w", err)
	}
	return nil
}

// settings are the options checked against the client type C.
type settings[C Client[C]] struct {
	*config
	binding *eventlog.Binding
	clear   func(context.Context, C) error
	routes  []*typedRoute[C]
}

type typedRoute[C any] struct {
	match   Match
	targets []typedTarget[C]
}

type typedTarget[C any] struct {
	// ApplyAs
	entity     *eventlog.Entity
	actionType string // "" keeps the event's
	upsert     bool
	// Handler
	handler func(context.Context, C, *Event) error
}

func resolve[C Client[C]](cfg *config, b *eventlog.Binding) (*settings[C], error) {
	if b == nil || b.Log == nil {
		return nil, fmt.Errorf("%w: the client's package has no event log (no schema uses entevents.EventLog)", ErrOption)
	}
	if len(cfg.errs) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrOption, errors.Join(cfg.errs...))
	}
	s := &settings[C]{config: cfg, binding: b}
	if cfg.clear != nil {
		fn, ok := cfg.clear.(func(context.Context, C) error)
		if !ok {
			var c C
			return nil, fmt.Errorf("%w: ClearWith function %T used with client %T", ErrClientType, cfg.clear, c)
		}
		s.clear = fn
	}
	for _, r := range cfg.routes {
		tr := &typedRoute[C]{match: r.match}
		for _, t := range r.targets {
			var tt typedTarget[C]
			switch {
			case t.handler != nil:
				fn, ok := t.handler.(func(context.Context, C, *Event) error)
				if !ok {
					var c C
					return nil, fmt.Errorf("%w: route %s: handler %T used with client %T", ErrClientType, r.match, t.handler, c)
				}
				tt.handler = fn
			case t.entity != "":
				tt.entity = b.Entity(t.entity)
				if tt.entity == nil {
					return nil, fmt.Errorf("%w: route %s: ApplyAs: %q is not a tracked entity", ErrOption, r.match, t.entity)
				}
				switch t.action {
				case eventlog.TypeCreate, eventlog.TypeUpdate, eventlog.TypeDelete:
					tt.actionType = t.action
				case eventlog.ActionUpsert:
					tt.actionType, tt.upsert = eventlog.TypeCreate, true
				}
			default:
				return nil, fmt.Errorf("%w: route %s: empty target (use ApplyAs or Handler)", ErrOption, r.match)
			}
			tr.targets = append(tr.targets, tt)
		}
		s.routes = append(s.routes, tr)
	}
	return s, nil
}

// runner is one replay in progress.
type runner[C Client[C]] struct {
	*settings[C]
	client C
	app    *applier
	// vault is the client's own vault (entevents.DriverOptions.Vault), nil for
	// the EventLog's.
	vault eventlog.Vault
}

func (s *settings[C]) run(ctx context.Context, client C) error {
	drv := client.EnteventsDriver()
	var err error
	if s.clear != nil {
		err = s.clear(ctx, client)
	} else {
		err = ClearTracked(ctx, client)
	}
	if err != nil {
		return fmt.Errorf("entevents: replay: clear: %w", err)
	}
	r := &runner[C]{settings: s, client: client, app: newApplier(drv),
		vault: eventlog.VaultOf(client)}
	rd := &reader{drv: drv, builder: sql.Dialect(drv.Dialect()), log: s.binding.Log, untilID: s.untilID, untilTime: s.untilTime}
	bound, total, err := rd.bound(ctx)
	if err != nil {
		return err
	}
	p := Progress{Total: total}
	if s.progress != nil {
		s.progress(p)
	}
	// Pages are read and prepared (decrypted, decoded) one ahead: the next page
	// is read, and prepared on another goroutine, while this one is applied.
	if bound == nil {
		return moveSequences(ctx, drv, s.binding, r.app.maxIDs)
	}
	page, err := rd.page(ctx, nil, s.pageSize)
	if err != nil {
		return err
	}
	prepared := r.prepareAsync(ctx, page)
	// On return no page is still being prepared (decrypting with the vault
	// after Run returned would surprise).
	var unread []<-chan []item[C]
	defer func() {
		for _, ch := range unread {
			<-ch
		}
	}()
	unread = append(unread, prepared)
	for len(page) > 0 {
		var next []record
		if len(page) == s.pageSize {
			if next, err = rd.page(ctx, page[len(page)-1].ID, s.pageSize); err != nil {
				return err
			}
		}
		nextPrepared := r.prepareAsync(ctx, next)
		unread = append(unread[:0], nextPrepared)
		items := <-prepared
		for _, it := range items {
			if err := r.handle(ctx, it); err != nil {
				return err
			}
		}
		if err := r.app.flush(ctx); err != nil {
			return err
		}
		p.Applied += int64(len(page))
		p.LastEventID = page[len(page)-1].ID
		if s.progress != nil {
			s.progress(p)
		}
		page, prepared = next, nextPrepared
	}
	return moveSequences(ctx, drv, s.binding, r.app.maxIDs)
}

// item is a stored event prepared for handling: decrypted, and matched to its
// route or decoded.
type item[C Client[C]] struct {
	rec   record
	route *typedRoute[C]
	op    *op
	err   error
}

// prepareAsync prepares page on a goroutine of its own; the channel delivers
// the items once. Preparing reads no database and changes nothing the
// handling of earlier events depends on: an error is reported when its event
// is handled, in order.
func (r *runner[C]) prepareAsync(ctx context.Context, page []record) <-chan []item[C] {
	ch := make(chan []item[C], 1)
	if len(page) == 0 {
		ch <- nil
		return ch
	}
	go func() {
		items := make([]item[C], len(page))
		for i, rec := range page {
			items[i] = r.prepare(ctx, rec)
		}
		ch <- items
	}()
	return ch
}

// prepare decrypts a stored event and finds the first route that matches it,
// or decodes it.
func (r *runner[C]) prepare(ctx context.Context, rec record) item[C] {
	st := rec.Stored
	it := item[C]{rec: rec}
	if it.err = r.binding.Log.UnsealWith(ctx, r.vault, st); it.err != nil {
		return it
	}
	for _, rt := range r.routes {
		if rt.match.matches(st) {
			it.route = rt
			return it
		}
	}
	it.op, it.err = r.decode(st, true)
	return it
}

// handle applies one prepared event: through its route, or generically.
func (r *runner[C]) handle(ctx context.Context, it item[C]) error {
	switch {
	case it.err != nil:
		return it.err
	case it.route != nil:
		return r.route(ctx, it.rec, it.route)
	}
	return r.app.enqueue(ctx, it.op)
}

// decode checks an event against the schema and decodes it; checkVersion
// rejects versions newer than the schema's.
func (r *runner[C]) decode(st *eventlog.Stored, checkVersion bool) (*op, error) {
	rf := refOf(st)
	e := r.binding.Entity(st.Entity)
	if e == nil {
		return nil, rf.fail("", fmt.Errorf("%w: %q", ErrUnknownEntity, st.Entity))
	}
	if _, ok := kindOf(st.ActionType, false); !ok {
		return nil, rf.fail("", fmt.Errorf("%w: action type %q", ErrUnknownAction, st.ActionType))
	}
	if cur := e.Version(st.Action); checkVersion && st.Version > cur {
		return nil, rf.fail("", fmt.Errorf("%w: version %d of %s %s, the schema is at version %d", ErrUnknownVersion, st.Version, st.Entity, st.Action, cur))
	}
	return decodeOp(rf, e, st.ActionType, false, st.RecordID, st.Data)
}

func (r *runner[C]) route(ctx context.Context, rec record, rt *typedRoute[C]) error {
	st := rec.Stored
	rf := refOf(st)
	for _, t := range rt.targets {
		if t.handler != nil {
			if err := r.app.flush(ctx); err != nil {
				return err
			}
			rec.fields()
			ev := newEvent(st)
			ev.apply = r.applyEvent
			err := t.handler(ctx, r.client, ev)
			ev.apply = nil
			if err != nil {
				var ee *eventlog.EventError
				if errors.As(err, &ee) && ee.EventID == rf.id {
					return err // from ev.Apply: names the event already
				}
				return rf.fail("", fmt.Errorf("route %s: %w", rt.match, err))
			}
			continue
		}
		actionType := t.actionType
		if actionType == "" {
			actionType = st.ActionType
		}
		if _, ok := kindOf(actionType, false); !ok {
			return rf.fail("", fmt.Errorf("%w: action type %q", ErrUnknownAction, actionType))
		}
		o, err := decodeOp(rf, t.entity, actionType, t.upsert, st.RecordID, st.Data)
		if err != nil {
			return err
		}
		if err := r.app.enqueue(ctx, o); err != nil {
			return err
		}
	}
	return nil
}

// applyEvent implements Event.Apply: the event is applied at once.
func (r *runner[C]) applyEvent(ctx context.Context, ev *Event) error {
	o, err := r.decode(ev.stored(), false)
	if err != nil {
		return err
	}
	if err := r.app.flush(ctx); err != nil {
		return err
	}
	if err := r.app.enqueue(ctx, o); err != nil {
		return err
	}
	return r.app.flush(ctx)
}
