package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
)

// MaxRequestBytes caps a hook request body. The API server stores objects of
// at most ~1.5 MiB; a sync request carries a parent, its children and related
// objects, so a TaskRun with a full status and a few hundred children fits
// easily in 32 MiB, while a runaway body is refused before it is buffered.
const MaxRequestBytes = 32 << 20

// HookFunc is a hook: a pure function from a typed request to a typed response.
type HookFunc[Req, Resp any] func(ctx context.Context, req *Req) (*Resp, error)

// Observer is told the outcome of every hook call (for metrics). It may be nil.
type Observer interface {
	ObserveHook(route string, code int, d time.Duration)
}

// ServeOptions configures Serve.
type ServeOptions struct {
	// Route names the hook in logs and metrics, e.g. sync/taskrun.
	Route string
	// Logger receives one line per failed call; nil means slog.Default().
	Logger *slog.Logger
	// Observer records every call; may be nil.
	Observer Observer
	// Now is the clock used to time calls; nil means time.Now.
	Now func() time.Time
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Serve adapts a hook to HTTP: POST only, Content-Type application/json, a
// body of at most MaxRequestBytes, strict decoding (unknown fields are an
// error), panic recovery, and error mapping: *Error with ErrInvalid → 400,
// ErrRateLimited → 429 with Retry-After, anything else → 500. Reasons are
// short plain text; details go to the log.
func Serve[Req, Resp any](h HookFunc[Req, Resp], opts ServeOptions) http.Handler {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		code := http.StatusOK
		defer func() {
			if p := recover(); p != nil {
				logger.ErrorContext(r.Context(), "hook panicked", "route", opts.Route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				code = http.StatusInternalServerError
				http.Error(w, "internal error: hook panicked", code)
			}
			if opts.Observer != nil {
				opts.Observer.ObserveHook(opts.Route, code, now().Sub(start))
			}
		}()
		fail := func(c int, reason string, err error) {
			code = c
			if c >= 500 {
				logger.ErrorContext(r.Context(), "hook failed", "route", opts.Route, "status", c, "reason", reason, "err", err)
			} else {
				logger.WarnContext(r.Context(), "hook refused request", "route", opts.Route, "status", c, "reason", reason, "err", err)
			}
			http.Error(w, reason, c)
		}

		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			fail(http.StatusMethodNotAllowed, "method not allowed: hooks take POST", nil)
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			fail(http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported content type %q: want application/json", r.Header.Get("Content-Type")), err)
			return
		}
		buf := bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer putBuf(buf)
		if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxRequestBytes)); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxRequestBytes), err)
				return
			}
			fail(http.StatusBadRequest, "cannot read request body: "+err.Error(), err)
			return
		}
		if buf.Len() == 0 {
			fail(http.StatusBadRequest, "empty request body", nil)
			return
		}
		req := new(Req)
		if err := decodeStrict(buf.Bytes(), req); err != nil {
			fail(http.StatusBadRequest, "cannot decode request: "+err.Error(), err)
			return
		}

		resp, err := h(r.Context(), req)
		if err != nil {
			var he *Error
			switch {
			case errors.As(err, &he) && he.Code == ErrInvalid:
				fail(http.StatusBadRequest, he.Message, err)
			case errors.As(err, &he) && he.Code == ErrRateLimited:
				secs := int(he.RetryAfter.Round(time.Second) / time.Second)
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				fail(http.StatusTooManyRequests, he.Message, err)
			case errors.As(err, &he):
				fail(http.StatusInternalServerError, he.Message, err)
			default:
				fail(http.StatusInternalServerError, "internal error", err)
			}
			return
		}

		if resp == nil {
			// An empty answer would wipe the status and delete every child.
			fail(http.StatusInternalServerError, "internal error: hook returned no response", nil)
			return
		}
		out := bufPool.Get().(*bytes.Buffer)
		out.Reset()
		defer putBuf(out)
		if err := json.NewEncoder(out).Encode(resp); err != nil {
			fail(http.StatusInternalServerError, "cannot encode response", err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
		_, _ = w.Write(out.Bytes())
	})
}

// putBuf returns a buffer to the pool unless a large request grew it.
func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufPool.Put(b)
	}
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown fields
// and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
