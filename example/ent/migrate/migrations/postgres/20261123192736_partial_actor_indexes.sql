-- Drop index "event_system_actor" from table: "events"
DROP INDEX "event_system_actor";
-- Drop index "event_user_id" from table: "events"
DROP INDEX "event_user_id";
-- Create index "event_system_actor" to table: "events"
CREATE INDEX "event_system_actor" ON "events" ("system_actor") WHERE (system_actor IS NOT NULL);
-- Create index "event_user_id" to table: "events"
CREATE INDEX "event_user_id" ON "events" ("user_id") WHERE (user_id IS NOT NULL);
