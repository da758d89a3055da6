package replay

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
)

func TestShapeKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		entity string
		data   string
		// shape is the expected shape; "" for none. Updates with the same
		// shape have the same want.
		want string
	}{
		{"Fields", "User", `{"fields":{"name":"a","score":1}}`, "=name=score"},
		{"FieldsOtherValues", "User", `{"fields":{"score":2.5,"name":"b"}}`, "=name=score"},
		{"OtherFields", "User", `{"fields":{"name":"a"}}`, "=name"},
		{"ClearsAndAdds", "User", `{"fields":{"name":"a"},"cleared":["age","avatar"],"added":{"karma":1}}`, "0age0avatar=name+karma"},
		{"ClearsInOtherOrder", "User", `{"fields":{"name":"a"},"cleared":["avatar","age"],"added":{"karma":1}}`, "0avatar0age=name+karma"},
		{"JSON", "User", `{"fields":{"settings":{"theme":"x"}}}`, "=settings"},
		{"EdgeField", "Post", `{"fields":{"author_id":1}}`, "=author_id"},
		{"ClearedEdgeField", "Post", `{"cleared":["author_id"]}`, "0author_id"},
		{"EdgeM2O", "Comment", `{"edges":{"post":{"added":[1]},"author":{"added":[2]}}}`, "=post_comments=user_comments"},
		{"EdgeM2OCleared", "Comment", `{"edges":{"post":{"cleared":true}}}`, "0post_comments"},
		{"EdgeM2OClearedAndSet", "Comment", `{"edges":{"post":{"cleared":true,"added":[1]}}}`, "=post_comments"},
		{"EdgeO2OInverse", "Profile", `{"edges":{"user":{"added":[1]}}}`, "=user_profile"},
		{"EdgeM2ORemoved", "Comment", `{"edges":{"post":{"removed":[1]}}}`, ""},
		{"EdgeO2O", "User", `{"edges":{"profile":{"added":[1]}}}`, ""},
		{"EdgeO2M", "User", `{"fields":{"name":"a"},"edges":{"posts":{"added":[1]}}}`, ""},
		{"EdgeM2M", "Post", `{"edges":{"tags":{"added":[1]}}}`, ""},
		{"Nothing", "User", `{}`, ""},
		{"EmptyEdge", "Comment", `{"edges":{"post":{}}}`, ""},
		{"SetAndAdd", "User", `{"fields":{"karma":1},"added":{"karma":1}}`, ""},
		{"SetAndClear", "User", `{"fields":{"age":1},"cleared":["age"]}`, ""},
		{"ClearedTwice", "User", `{"cleared":["age","age"]}`, ""},
		{"EdgeAndItsField", "Post", `{"fields":{"author_id":1},"edges":{"author":{"added":[2]}}}`, ""},
	}
	b := ent.Entevents()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := b.Entity(tt.entity)
			require.NotNil(t, e)
			recordID := "1"
			if tt.entity == "Comment" {
				recordID = "00000000-0000-4000-8000-000000000001"
			}
			o, err := decodeOp(ref{id: 1}, e, eventlog.TypeUpdate, false, recordID, []byte(tt.data))
			require.NoError(t, err)
			var got []byte
			for _, c := range []byte(o.shape) {
				if c != 0 {
					got = append(got, c)
				}
			}
			require.Equal(t, tt.want, string(got))
		})
	}
}
