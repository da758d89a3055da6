-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_events" table
CREATE TABLE `new_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `record_id` text NOT NULL, `entity` text NOT NULL, `action` text NOT NULL, `action_type` text NOT NULL, `version` integer NOT NULL, `data` json NULL, `changed_fields` json NOT NULL, `metadata` json NULL, `encrypted_data` blob NULL, `encrypted_metadata` blob NULL, `occurred_at` datetime NOT NULL, `user_id` integer NULL, `system_actor` text NULL);
-- Copy rows from old table "events" to new temporary table "new_events"
INSERT INTO `new_events` (`id`, `record_id`, `entity`, `action`, `action_type`, `version`, `data`, `changed_fields`, `metadata`, `encrypted_data`, `encrypted_metadata`, `occurred_at`, `user_id`, `system_actor`) SELECT `id`, `record_id`, `entity`, `action`, `action_type`, `version`, `data`, `changed_fields`, `metadata`, `encrypted_data`, `encrypted_metadata`, `occurred_at`, `user_id`, `system_actor` FROM `events`;
-- Drop "events" table after copying rows
DROP TABLE `events`;
-- Rename temporary table "new_events" to "events"
ALTER TABLE `new_events` RENAME TO `events`;
-- Create index "event_entity_record_id" to table: "events"
CREATE INDEX `event_entity_record_id` ON `events` (`entity`, `record_id`);
-- Create index "event_occurred_at" to table: "events"
CREATE INDEX `event_occurred_at` ON `events` (`occurred_at`);
-- Create index "event_user_id" to table: "events"
CREATE INDEX `event_user_id` ON `events` (`user_id`) WHERE "user_id" IS NOT NULL;
-- Create index "event_system_actor" to table: "events"
CREATE INDEX `event_system_actor` ON `events` (`system_actor`) WHERE "system_actor" IS NOT NULL;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
