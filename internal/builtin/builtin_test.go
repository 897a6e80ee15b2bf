package builtin

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltins(t *testing.T) {
	tests := []struct {
		name    string
		builtin string
		args    string
		want    string
		wantErr string
	}{
		{name: "add", builtin: "add", args: `{"a": 2, "b": 3}`, want: "5"},
		{name: "add fractions", builtin: "add", args: `{"a": 0.1, "b": 0.2}`, want: "0.30000000000000004"},
		{name: "subtract negative result", builtin: "subtract", args: `{"a": 2, "b": 3.5}`, want: "-1.5"},
		{name: "multiply large", builtin: "multiply", args: `{"a": 1e10, "b": 1e10}`, want: "100000000000000000000"},
		{name: "divide", builtin: "divide", args: `{"a": 1, "b": 4}`, want: "0.25"},
		{name: "divide by zero", builtin: "divide", args: `{"a": 1, "b": 0}`, wantErr: "division by zero"},
		{name: "missing argument", builtin: "add", args: `{"a": 1}`, wantErr: `missing argument "b": want a number`},
		{name: "string argument", builtin: "multiply", args: `{"a": "2", "b": 3}`, wantErr: `argument "a" must be a number, got a string`},
		{name: "null argument", builtin: "subtract", args: `{"a": 2, "b": null}`, wantErr: `argument "b" must be a number, got null`},
		{name: "extra arguments are ignored", builtin: "add", args: `{"a": 1, "b": 1, "c": "x"}`, want: "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, ok := Lookup(tt.builtin)
			require.True(t, ok)
			var args map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.args), &args))

			got, err := f(args)

			if tt.wantErr != "" {
				assert.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	f, ok := Lookup("exec")
	assert.False(t, ok)
	assert.Nil(t, f)
}

func TestNames(t *testing.T) {
	assert.Equal(t, []string{"add", "divide", "multiply", "subtract"}, Names())
	for _, name := range Names() {
		_, ok := Lookup(name)
		assert.True(t, ok, name)
	}
}
