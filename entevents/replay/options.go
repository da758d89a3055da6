package replay

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/entevents/entevents/entevents/eventlog"
)

// DefaultPageSize is the number of events read per page when PageSize is not
// given.
const DefaultPageSize = 1000

// An Option configures Run. Options are applied in order; a later option of the
// same kind replaces an earlier one, except Route, which adds a route.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config holds the options before they are checked against the client type.
type config struct {
	untilID   any // int64 or uuid.UUID
	untilTime *time.Time
	clear     any // func(context.Context, C) error
	progress  func(Progress)
	pageSize  int
	routes    []*route
	errs      []error
}

// EventID is the type set of event ids: int64 ids (the default of the
// EventLog) and UUIDv7 ids (entevents.IDUUIDv7).
type EventID interface {
	~int | ~int64 | uuid.UUID
}

// UntilEventID stops the replay after the event with the given id: events with
// an id up to and including id are applied, later ones are not. Without it (and
// without UntilTime) every event is applied.
func UntilEventID[ID EventID](id ID) Option {
	var v any
	if u, ok := any(id).(uuid.UUID); ok {
		v = u
	} else {
		v = reflect.ValueOf(id).Int()
	}
	return optionFunc(func(c *config) { c.untilID = v })
}

// UntilTime stops the replay before the first event (in id order) that occurred
// after t: the events applied all occurred at or before t (inclusive). Event ids
// follow commit order while occurred_at is taken when the action ran, so the two
// orders can differ slightly (long transactions, clock skew between hosts);
// stopping at the first later event rather than skipping it keeps the result a
// prefix of the log, a state the tables really had. Combined with UntilEventID,
// the replay stops at whichever comes first.
func UntilTime(t time.Time) Option {
	t = t.UTC().Round(0)
	return optionFunc(func(c *config) { c.untilTime = &t })
}

// ClearWith replaces the default clear step. Before applying the first event,
// Run calls fn with the replay's context and the transaction-bound client; fn
// must leave the tracked tables in the state the first replayed event expects
// (normally: empty). Use it when tables outside the tracked ones reference
// tracked rows, or to keep rows that the log does not describe. ClearTracked is
// the default and can be called from fn.
//
// The client type C is inferred from fn and must be the type of the client given
// to Run; otherwise Run fails before doing anything.
func ClearWith[C any](fn func(ctx context.Context, client C) error) Option {
	return optionFunc(func(c *config) {
		if fn == nil {
			c.errs = append(c.errs, errors.New("ClearWith: nil function"))
			return
		}
		c.clear = fn
	})
}

// Progress reports how far a replay is.
type Progress struct {
	// Applied is the number of events applied so far.
	Applied int64
	// Total is the number of events the replay applies, counted when it starts.
	Total int64
	// LastEventID is the id of the last applied event (int64 or uuid.UUID), nil
	// before the first.
	LastEventID any
}

// OnProgress sets a function that Run calls once before applying the first
// event (Applied 0) and then after each page of events has been applied. It runs
// on the goroutine that called Run; a slow callback slows the replay.
func OnProgress(fn func(Progress)) Option {
	return optionFunc(func(c *config) { c.progress = fn })
}

// PageSize sets how many events Run reads per query. Memory used by a replay
// grows with the page size, not with the length of the log. Defaults to
// DefaultPageSize.
func PageSize(n int) Option {
	return optionFunc(func(c *config) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("PageSize: %d is not positive", n))
			return
		}
		c.pageSize = n
	})
}

// Match selects the events a route takes.
type Match struct {
	// Entity is the schema name of the events (required). It need not be a
	// tracked entity of the current schema: events of a removed or renamed
	// entity can be routed too.
	Entity string
	// Action is the action name ("create", "update", "delete", "upsert" or a name
	// given with entevents.WithAction). Empty matches every action.
	Action string
	// Versions lists the versions matched. Empty matches every version.
	Versions []int
}

func (m Match) matches(ev *eventlog.Stored) bool {
	if ev.Entity != m.Entity || (m.Action != "" && ev.Action != m.Action) {
		return false
	}
	if len(m.Versions) == 0 {
		return true
	}
	for _, v := range m.Versions {
		if v == ev.Version {
			return true
		}
	}
	return false
}

// String describes the match, e.g. "User create v[1]".
func (m Match) String() string {
	s := m.Entity
	if m.Action != "" {
		s += " " + m.Action
	}
	if len(m.Versions) > 0 {
		s += fmt.Sprintf(" v%v", m.Versions)
	}
	return s
}

type route struct {
	match   Match
	targets []Target
}

// Route sends the events that m matches to targets, in order, instead of
// applying them generically. With no targets the matching events are skipped.
// When several routes match an event, the first one given to Run wins.
//
// Routes are how a replay handles events recorded by an older version of the
// schema (version routing, see entevents.Versions): an event whose version is
// newer than the schema's current version of its action, or whose entity is not
// tracked any more, fails the replay unless a route takes it.
func Route(m Match, targets ...Target) Option {
	return optionFunc(func(c *config) {
		if m.Entity == "" {
			c.errs = append(c.errs, errors.New("Route: Match.Entity is empty"))
			return
		}
		c.routes = append(c.routes, &route{match: m, targets: targets})
	})
}

// A Target receives the events of a route: see ApplyAs and Handler.
type Target struct {
	// ApplyAs
	entity, action string
	// Handler: func(context.Context, C, *Event) error
	handler any
}

// String describes the target.
func (t Target) String() string {
	if t.handler != nil {
		return fmt.Sprintf("handler %T", t.handler)
	}
	return fmt.Sprintf("apply as %s %s", t.entity, t.action)
}

// ApplyAs returns a target that applies the event's data generically — without
// hooks, like an unrouted event — as an event of another entity and action, for
// example the events of an entity that was renamed. The data must decode against
// that entity's current fields and edges. action decides the operation:
// "create", "update", "delete" or "upsert"; any other name (or "") keeps the
// event's action type. The event's version is not checked.
func ApplyAs(entity, action string) Target {
	return Target{entity: entity, action: action}
}

// Handler returns a target that calls fn with the event and the
// transaction-bound client of the application's generated package: C is inferred
// from fn (for example *ent.Client) and must be the type of the client given to
// Run, or Run fails before doing anything.
//
// The client is the real client: the mutations fn makes run the application's
// hooks, interceptors and privacy policies, but entevents.IsReplaying(ctx) is true
// and no event is recorded for them. fn must not begin or commit transactions:
// the client is already bound to the replay's transaction. To apply changed data
// without hooks, modify the event and call its Apply method.
func Handler[C any](fn func(ctx context.Context, client C, ev *Event) error) Target {
	return Target{handler: fn}
}
