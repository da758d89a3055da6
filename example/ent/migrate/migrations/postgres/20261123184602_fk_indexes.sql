-- Create index "comment_post_comments" to table: "comments"
CREATE INDEX "comment_post_comments" ON "comments" ("post_comments");
-- Create index "comment_user_comments" to table: "comments"
CREATE INDEX "comment_user_comments" ON "comments" ("user_comments");
-- Create index "post_author_id" to table: "posts"
CREATE INDEX "post_author_id" ON "posts" ("author_id");
