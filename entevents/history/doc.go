// Package history reads the entevents event log: the history of one record,
// events by actor, by entity and by time range, the state of one record as of a
// time or an event id, and per-update diffs.
//
// Every function takes the generated ent client (or a transaction-bound one, see
// Client) and reads the events table that the generated package describes, with
// plain SQL on SQLite and PostgreSQL. Encrypted events are decrypted as they are
// read, with the vault of the client's driver (entevents.DriverOptions.Vault) or
// else the EventLog's; data is decoded into the typed values of the entity's
// fields.
//
//	evs, err := history.Of(ctx, client, "User", 42, nil)               // one record
//	evs, err = history.ByActor(ctx, client, admin, &history.Page{Limit: 50})
//	evs, err = history.Find(ctx, client, &history.Query{Entity: "Post", Since: t0, Before: t1})
//	st, err := history.AsOf(ctx, client, "User", 42, yesterday)        // st.Fields["name"]
//	st, err = history.AsOfEvent(ctx, client, "User", 42, evs[0].ID)    // or Current
//	diffs, err := history.Diffs(ctx, client, "User", 42)               // name: Jane → Janet
//
// Lists are ordered by event id, which is commit order; Page gives keyset
// pagination (AfterID, Limit) in either direction, and All streams a query page
// by page.
//
// AsOf, AsOfEvent, Current and Diffs fold the events of that one record only, with no
// replay. What they know is what the record's own events recorded:
//
//   - field values set by creates, upserts and updates (AddX deltas are added to
//     the folded value, as the database did), cleared fields, deletes;
//   - edge ids changed by a mutation of the record itself. A change made from the
//     other side of an edge (post.AddTags records on the post, not on the tags) or
//     a foreign key that ent rewrote as a side effect (deleting a user sets the
//     author of its posts to NULL without a post event) is not in the record's
//     history. Edges that have an edge field are reported as that field.
//   - sensitive fields stored without a vault are left out of events: State lists
//     them as unknown.
//
// On SQLite, time bounds are compared by the database as the text the driver
// wrote (modernc.org/sqlite writes time.Time.String, which sorts in time order
// for the UTC times entevents records); bounds are converted to UTC first.
package history
