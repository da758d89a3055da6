-- Create "comments" table
CREATE TABLE `comments` (`id` uuid NOT NULL, `body` text NOT NULL, `likes` integer NOT NULL DEFAULT (0), `created_at` datetime NOT NULL, `post_comments` integer NULL, `user_comments` integer NULL, PRIMARY KEY (`id`), CONSTRAINT `comments_posts_comments` FOREIGN KEY (`post_comments`) REFERENCES `posts` (`id`) ON DELETE SET NULL, CONSTRAINT `comments_users_comments` FOREIGN KEY (`user_comments`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `record_id` text NOT NULL, `entity` text NOT NULL, `action` text NOT NULL, `action_type` text NOT NULL, `version` integer NOT NULL, `data` json NULL, `changed_fields` json NOT NULL, `metadata` json NULL, `encrypted_data` blob NULL, `encrypted_metadata` blob NULL, `occurred_at` datetime NOT NULL, `user_id` integer NULL, `system_actor` text NULL);
-- Create index "event_entity_record_id" to table: "events"
CREATE INDEX `event_entity_record_id` ON `events` (`entity`, `record_id`);
-- Create index "event_occurred_at" to table: "events"
CREATE INDEX `event_occurred_at` ON `events` (`occurred_at`);
-- Create index "event_user_id" to table: "events"
CREATE INDEX `event_user_id` ON `events` (`user_id`);
-- Create index "event_system_actor" to table: "events"
CREATE INDEX `event_system_actor` ON `events` (`system_actor`);
-- Create "posts" table
CREATE TABLE `posts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `title` text NOT NULL, `body` text NOT NULL DEFAULT (''), `status` text NOT NULL DEFAULT ('draft'), `views` integer NOT NULL DEFAULT (0), `published_at` datetime NULL, `attributes` json NULL, `author_id` integer NULL, CONSTRAINT `posts_users_posts` FOREIGN KEY (`author_id`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create "profiles" table
CREATE TABLE `profiles` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `bio` text NOT NULL DEFAULT (''), `website` text NULL, `user_profile` integer NULL, CONSTRAINT `profiles_users_profile` FOREIGN KEY (`user_profile`) REFERENCES `users` (`id`) ON DELETE SET NULL);
-- Create index "profiles_user_profile_key" to table: "profiles"
CREATE UNIQUE INDEX `profiles_user_profile_key` ON `profiles` (`user_profile`);
-- Create "tags" table
CREATE TABLE `tags` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL);
-- Create index "tags_name_key" to table: "tags"
CREATE UNIQUE INDEX `tags_name_key` ON `tags` (`name`);
-- Create "users" table
CREATE TABLE `users` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `create_time` datetime NOT NULL, `update_time` datetime NOT NULL, `name` text NOT NULL, `email` text NOT NULL, `password_hash` text NULL, `role` text NOT NULL DEFAULT ('member'), `age` integer NULL, `karma` integer NOT NULL DEFAULT (0), `quota` integer NOT NULL DEFAULT (0), `score` real NOT NULL DEFAULT (0), `avatar` blob NULL, `settings` json NULL, `last_seen_at` datetime NULL);
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create "post_tags" table
CREATE TABLE `post_tags` (`post_id` integer NOT NULL, `tag_id` integer NOT NULL, PRIMARY KEY (`post_id`, `tag_id`), CONSTRAINT `post_tags_post_id` FOREIGN KEY (`post_id`) REFERENCES `posts` (`id`) ON DELETE CASCADE, CONSTRAINT `post_tags_tag_id` FOREIGN KEY (`tag_id`) REFERENCES `tags` (`id`) ON DELETE CASCADE);
