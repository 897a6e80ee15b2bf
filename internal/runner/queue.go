package runner

import (
	"sort"
	"sync"
	"time"
)

// Clock is the runner's virtual clock. The runner stamps objects with it,
// schedules resyncs and backoffs on it, and moves it forward when nothing is
// left to do but a delayed sync, so waiting costs no real time. Give the same
// clock to the hooks (their Now) so they see time pass. Safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads start until it is advanced.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// advanceTo moves the clock forward to t; it never goes back.
func (c *Clock) advanceTo(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Backoff bounds for a failing parent, as client-go's default controller
// rate limiter: 5 ms doubling per failure up to 1000 s.
const (
	backoffBase = 5 * time.Millisecond
	backoffMax  = 1000 * time.Second
)

// queueKey is one parent of one controller.
type queueKey struct {
	ctl             int
	namespace, name string
}

// queue is client-go's rate-limiting work queue, per controller: a key is
// queued at most once; a key added while it is processed is queued again
// when it is done, so it is never processed twice at the same time; delayed
// keys wait on the virtual clock. It also remembers whether a key was added
// by a child event (see Options.Stale).
type queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	ready      [][]queueKey // FIFO per controller
	dirty      map[queueKey]bool
	processing map[queueKey]bool
	waiting    map[queueKey]time.Time
	failures   map[queueKey]int
	byChild    map[queueKey]bool
	stopped    bool
	done       int // keys finished, to wake the coordinator
}

func newQueue(controllers int) *queue {
	q := &queue{
		ready:      make([][]queueKey, controllers),
		dirty:      map[queueKey]bool{},
		processing: map[queueKey]bool{},
		waiting:    map[queueKey]time.Time{},
		failures:   map[queueKey]int{},
		byChild:    map[queueKey]bool{},
	}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// add queues k now; byChild marks that a child event asked for it.
func (q *queue) add(k queueKey, byChild bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(k, byChild)
}

func (q *queue) addLocked(k queueKey, byChild bool) {
	if byChild {
		q.byChild[k] = true
	}
	if q.dirty[k] {
		return
	}
	q.dirty[k] = true
	if q.processing[k] {
		return
	}
	q.ready[k.ctl] = append(q.ready[k.ctl], k)
	q.cond.Broadcast()
}

// addAt queues k once the clock reaches at; an earlier pending time wins.
func (q *queue) addAt(k queueKey, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if t, ok := q.waiting[k]; !ok || at.Before(t) {
		q.waiting[k] = at
	}
	q.cond.Broadcast()
}

// backoff returns k's next delay after one more failure.
func (q *queue) backoff(k queueKey) time.Duration {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.failures[k]
	q.failures[k] = n + 1
	d := backoffBase
	for i := 0; i < n && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// forget resets k's failure count.
func (q *queue) forget(k queueKey) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, k)
}

// get blocks until a key of controller ctl is ready or the queue stops.
func (q *queue) get(ctl int) (k queueKey, byChild, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready[ctl]) == 0 && !q.stopped {
		q.cond.Wait()
	}
	if q.stopped {
		return queueKey{}, false, false
	}
	k, q.ready[ctl] = q.ready[ctl][0], q.ready[ctl][1:]
	q.processing[k] = true
	delete(q.dirty, k)
	byChild = q.byChild[k]
	delete(q.byChild, k)
	return k, byChild, true
}

// finish marks k done, queueing it again if it was added meanwhile.
func (q *queue) finish(k queueKey) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, k)
	if q.dirty[k] {
		q.ready[k.ctl] = append(q.ready[k.ctl], k)
	}
	q.done++
	q.cond.Broadcast()
}

// promoteLocked queues the waiting keys that are due at now.
func (q *queue) promoteLocked(now time.Time) {
	var due []queueKey
	for k, at := range q.waiting {
		if !at.After(now) {
			due = append(due, k)
		}
	}
	sort.Slice(due, func(i, j int) bool {
		a, b := due[i], due[j]
		if ta, tb := q.waiting[a], q.waiting[b]; !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if a.ctl != b.ctl {
			return a.ctl < b.ctl
		}
		if a.namespace != b.namespace {
			return a.namespace < b.namespace
		}
		return a.name < b.name
	})
	for _, k := range due {
		delete(q.waiting, k)
		q.addLocked(k, false)
	}
}

// idleLocked tells whether nothing is ready or being processed.
func (q *queue) idleLocked() bool {
	if len(q.processing) > 0 {
		return false
	}
	for _, r := range q.ready {
		if len(r) > 0 {
			return false
		}
	}
	return true
}

// nextWaitingLocked returns the earliest time a waiting key is due.
func (q *queue) nextWaitingLocked() (time.Time, bool) {
	var next time.Time
	found := false
	for _, at := range q.waiting {
		if !found || at.Before(next) {
			next, found = at, true
		}
	}
	return next, found
}

func (q *queue) setStopped(stopped bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = stopped
	q.cond.Broadcast()
}

func (q *queue) wake() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.cond.Broadcast()
}
