package builtin

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Func is a builtin: it takes the call's arguments (a decoded JSON object, so
// numbers are float64) and returns the answer text.
type Func func(args map[string]any) (string, error)

var funcs = map[string]Func{
	"add":      arithmetic(func(a, b float64) (float64, error) { return a + b, nil }),
	"subtract": arithmetic(func(a, b float64) (float64, error) { return a - b, nil }),
	"multiply": arithmetic(func(a, b float64) (float64, error) { return a * b, nil }),
	"divide": arithmetic(func(a, b float64) (float64, error) {
		if b == 0 {
			return 0, errors.New("division by zero")
		}
		return a / b, nil
	}),
}

// Lookup returns the builtin called name.
func Lookup(name string) (Func, bool) {
	f, ok := funcs[name]
	return f, ok
}

// Names returns the names of all builtins, sorted.
func Names() []string {
	names := make([]string, 0, len(funcs))
	for name := range funcs {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// arithmetic adapts op to a Func taking the numbers a and b.
func arithmetic(op func(a, b float64) (float64, error)) Func {
	return func(args map[string]any) (string, error) {
		a, err := number(args, "a")
		if err != nil {
			return "", err
		}
		b, err := number(args, "b")
		if err != nil {
			return "", err
		}
		x, err := op(a, b)
		if err != nil {
			return "", err
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
}

// number returns the numeric argument key.
func number(args map[string]any, key string) (float64, error) {
	v, ok := args[key]
	if !ok {
		return 0, fmt.Errorf("missing argument %q: want a number", key)
	}
	x, ok := v.(float64)
	if !ok {
		return 0, fmt.Errorf("argument %q must be a number, got %s", key, jsonType(v))
	}
	return x, nil
}

// jsonType names the JSON type of a decoded value, for error messages.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("%T", v)
	}
}
