package hooks

import (
	"container/list"
	"strconv"
	"sync"
	"time"

	v1 "github.com/humanlayer/kubechain/api/v1alpha1"
)

// llmReply is one LLM round's outcome with its timing, as recorded in status:
// a message, or a failure (Err set) that holds until Until.
type llmReply struct {
	Message     v1.Message
	RequestedAt time.Time
	RepliedAt   time.Time
	// Err is the failure of the call; nil for a reply.
	Err error
	// Until is when a failure stops answering for the round (zero for replies).
	Until time.Time
	// RetryAfterSeconds is the delay before the failed call is retried.
	RetryAfterSeconds float64
}

// replyCache remembers recent LLM replies per TaskRun uid and round.
//
// The TaskRun's status and its TaskRunToolCall children are the record of a
// round; this cache only covers the window in which Metacontroller hands the
// hook a parent older than its own last status write. For a round that asked
// for tools the observed children already prove the round happened (see
// SyncTaskRun); for a final answer there is no child, and the cache is what
// keeps a stale sync from asking the LLM a second time. Failed calls are kept
// until their retry is due, so the several syncs Metacontroller makes per
// change do not turn one rate limit into a burst of provider calls. It is bounded and
// per process: with several hook server replicas a stale sync that lands on
// another replica within that window may repeat the final LLM call.
type replyCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List // front = newest; values are *replyEntry
	byKey map[string]*list.Element
}

type replyEntry struct {
	key   string
	reply llmReply
	added time.Time
}

func newReplyCache(max int, ttl time.Duration) *replyCache {
	return &replyCache{max: max, ttl: ttl, order: list.New(), byKey: make(map[string]*list.Element)}
}

func replyKey(uid string, round int) string { return uid + "/" + strconv.Itoa(round) }

func (c *replyCache) get(uid string, round int, now time.Time) (llmReply, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[replyKey(uid, round)]
	if !ok {
		return llmReply{}, false
	}
	e := el.Value.(*replyEntry)
	if now.Sub(e.added) > c.ttl || (!e.reply.Until.IsZero() && !now.Before(e.reply.Until)) {
		c.order.Remove(el)
		delete(c.byKey, e.key)
		return llmReply{}, false
	}
	return e.reply, true
}

func (c *replyCache) put(uid string, round int, r llmReply, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := replyKey(uid, round)
	if el, ok := c.byKey[key]; ok {
		c.order.Remove(el)
	}
	c.byKey[key] = c.order.PushFront(&replyEntry{key: key, reply: r, added: now})
	for c.order.Len() > c.max {
		el := c.order.Back()
		c.order.Remove(el)
		delete(c.byKey, el.Value.(*replyEntry).key)
	}
}
