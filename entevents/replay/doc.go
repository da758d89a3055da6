// Package replay rebuilds the tracked tables of an ent application from its
// event log (see package entevents).
//
//	err := replay.Run(ctx, client)                         // every event
//	err = replay.Run(ctx, client, replay.UntilEventID(1000)) // up to an event
//	err = replay.Run(ctx, client, replay.UntilTime(t),       // as of a time
//		replay.OnProgress(func(p replay.Progress) { fmt.Printf("%d/%d\n", p.Applied, p.Total) }))
//
// client is the application's generated *ent.Client (any client generated with
// the entevents extension; Run is generic over it, so nothing is cast). Run
// clears the tracked tables and their join tables, applies the events in id
// order in one transaction, streamed in pages and batched where order allows,
// and reproduces the exact rows: same ids, values, edges and timestamps. It
// writes with sqlgraph directly: none of the application's hooks, interceptors or
// privacy policies run and no event is recorded.
//
// # Version routing
//
// When the shape of an action changes, bump its version in the schema
// (entevents.Versions{"create": 2}) and route the old events:
//
//	replay.Run(ctx, client, replay.Route(
//		replay.Match{Entity: "User", Action: "create", Versions: []int{1}},
//		replay.Handler(func(ctx context.Context, c *ent.Client, ev *replay.Event) error {
//			old, err := replay.Fields[struct {
//				FullName string `json:"full_name"`
//			}](ev)
//			...
//		}),
//	))
//
// A handler gets the decoded event and the client bound to the replay's
// transaction, typed: its mutations run the application's hooks (with
// entevents.IsReplaying(ctx) true, and recording nothing). ApplyAs routes events
// to another entity or action with their data, applied without hooks; a route
// without targets skips its events.
//
// Errors name the event: see entevents.EventError and the Err variables.
package replay
