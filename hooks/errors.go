package hooks

import (
	"fmt"
	"time"
)

// ErrorCode classifies a hook failure for the HTTP adapter.
type ErrorCode string

// The error codes and the HTTP status each maps to (see Serve).
const (
	// ErrInvalid: the request cannot be read or is inconsistent (400).
	ErrInvalid ErrorCode = "invalid"
	// ErrRateLimited: a provider rate-limited us; Metacontroller retries after RetryAfter (429).
	ErrRateLimited ErrorCode = "rate_limited"
	// ErrInternal: anything else (500).
	ErrInternal ErrorCode = "internal"
)

// Error is a hook error with a code and a short reason safe to return to the caller.
type Error struct {
	// Code selects the HTTP status.
	Code ErrorCode
	// Message is short, plain and free of secrets.
	Message string
	// RetryAfter is sent as Retry-After with ErrRateLimited.
	RetryAfter time.Duration
	// Err is the underlying cause, for logs.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Invalidf returns an ErrInvalid error.
func Invalidf(format string, args ...any) error {
	return &Error{Code: ErrInvalid, Message: fmt.Sprintf(format, args...)}
}

// RateLimited returns an ErrRateLimited error asking to be retried after d.
func RateLimited(msg string, d time.Duration, cause error) error {
	return &Error{Code: ErrRateLimited, Message: msg, RetryAfter: d, Err: cause}
}
