package eventlog_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/entevents/entevents/entevents/eventlog"
	"github.com/entevents/entevents/example/ent"
	"github.com/entevents/entevents/example/ent/schema"
)

// BenchmarkEncodeUserCreate measures encoding the data of a user create, as the
// capture hook does for every row (EncodeMutation, then the document and the
// changed names), against json.Marshal of the same document.
func BenchmarkEncodeUserCreate(b *testing.B) {
	c := ent.NewClient()
	now := time.Now()
	m := c.User.Create().SetName("Jane Doe").SetEmail("jane@example.com").SetAge(33).SetKarma(10).
		SetCreateTime(now).SetUpdateTime(now).SetRole("member").SetQuota(0).SetScore(0).
		SetSettings(schema.Settings{Theme: "dark", Notifications: true, Languages: []string{"en", "fr"}}).Mutation()
	e := ent.Entevents().Entity("User")
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, names, err := e.EncodeMutation(m, false)
			if err != nil {
				b.Fatal(err)
			}
			_ = d.AppendJSON(make([]byte, 0, 256))
			_ = eventlog.AppendStrings(nil, names)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			d, names, err := e.EncodeMutation(m, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(d); err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(names); err != nil {
				b.Fatal(err)
			}
		}
	})
}
