package replay

import (
	"errors"

	"github.com/entevents/entevents/entevents/eventlog"
)

// Errors of a replay; match them with errors.Is. Run returns the errors of an
// event wrapped in an *eventlog.EventError (entevents.EventError) that names it;
// undecodable event data is reported with eventlog.ErrDecode (entevents.ErrDecode).
// ErrClientType and ErrOption are returned before anything is done.
var (
	// ErrUnknownEntity: the event's entity is not a tracked entity of the schema
	// and no route takes the event.
	ErrUnknownEntity = errors.New("entevents: replay: unknown entity (not tracked by the schema; add a route)")
	// ErrUnknownAction: the event's action type is not create, update or delete
	// and no route takes the event.
	ErrUnknownAction = errors.New("entevents: replay: unknown action (add a route)")
	// ErrUnknownVersion: the event's version is newer than the schema's current
	// version of its action (entevents.Versions) and no route takes the event.
	ErrUnknownVersion = errors.New("entevents: replay: version newer than the schema's (add a route)")
	// ErrRecordNotFound: an update or delete names a record that does not exist
	// at that point of the replay: the log does not describe the table (rows
	// written around entevents, a route that skipped their creation, a partial
	// ClearWith).
	ErrRecordNotFound = errors.New("entevents: replay: record not found")
	// ErrClientType: a Handler or ClearWith function was declared for another
	// client type than the one given to Run.
	ErrClientType = errors.New("entevents: replay: function declared for another client type")
	// ErrOption: an option given to Run is invalid.
	ErrOption = errors.New("entevents: replay: invalid option")
)

// EventError is entevents.EventError: the error type of a failed replay, naming
// the event id, entity, action, version and, when one is at fault, the field.
type EventError = eventlog.EventError
