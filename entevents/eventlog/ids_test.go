package eventlog

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestPGArray(t *testing.T) {
	t.Parallel()
	u := uuid.MustParse("0190a2c4-8a5e-7cc0-9d6e-1d2f3a4b5c6d")
	tests := []struct {
		ids  []any
		want string
	}{
		{[]any{1, int64(-2), uint32(3)}, `{1,-2,3}`},
		{[]any{u}, `{"0190a2c4-8a5e-7cc0-9d6e-1d2f3a4b5c6d"}`},
		{[]any{"plain", `q"uote`, `back\slash`, "comma,{brace}"}, `{"plain","q\"uote","back\\slash","comma,{brace}"}`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, pgArray(tt.ids))
	}
}
