// Package cache owns evicting what the arena's API caches of the
// leaderboards (DESIGN §8): its leaderboard list and entry pages live in
// Redis for 6 hours under the prefixes below, with no other eviction, so a
// snapshot published at 10:00 may not be served before 16:00 unless those
// keys are deleted after the database commits.
//
// Evict deletes those keys and nothing else: SCAN with a MATCH pattern and
// UNLINK in batches (never KEYS, never FLUSHDB), through
// github.com/redis/go-redis/v9.
package cache

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/logging"
)

func init() {
	// The client's own log lines would reach stderr beside the tools'
	// messages (and break JSON logs); its errors come back to Evict.
	redis.SetLogger(&logging.VoidLogger{})
}

// Prefixes are the key prefixes of the API's leaderboard caches (Spring's
// cache names leaderboardList and leaderboardEntries under the
// bixarena:api: key prefix).
var Prefixes = []string{"bixarena:api:leaderboardList::", "bixarena:api:leaderboardEntries::"}

// DefaultTimeout bounds connecting and each command.
const DefaultTimeout = 5 * time.Second

// batch is how many keys one SCAN step asks for, and so at most how many
// one UNLINK deletes.
const batch = 500

// Options tune an eviction. The zero value uses DefaultTimeout.
type Options struct {
	// Timeout bounds connecting and each command (SCAN, UNLINK).
	Timeout time.Duration
}

// Result says what an eviction did.
type Result struct {
	Deleted int // keys deleted
}

// ParseURL checks a Redis URL (redis://[USER:PASSWORD@]HOST[:PORT][/DB],
// rediss:// for TLS, unix:///PATH) and returns its options. The error
// never repeats the URL, which may hold a password.
func ParseURL(raw string) (*redis.Options, error) {
	o, err := redis.ParseURL(raw)
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), raw, Describe(raw)))
	}
	return o, nil
}

// Describe names a Redis URL for messages without its password:
// "redis://HOST:PORT/DB".
func Describe(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" && u.Path == "" {
		return "(a Redis URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// Evict connects to the Redis at rawURL and deletes every key under
// Prefixes: a SCAN cursor with MATCH PREFIX* walks the keyspace in steps
// of a few hundred keys, and each step's keys go in one UNLINK (which
// frees their memory in the background). Keys written while it walks may
// stay; they were written after the database committed, from the new
// snapshot. The error says what failed, without the URL's password.
func Evict(ctx context.Context, rawURL string, o Options) (Result, error) {
	var res Result
	opts, err := ParseURL(rawURL)
	if err != nil {
		return res, err
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
	opts.MaxRetries, opts.DialerRetries = 1, 1
	opts.PoolSize = 1
	client := redis.NewClient(opts)
	defer client.Close()
	where := Describe(rawURL)
	for _, prefix := range Prefixes {
		match := escapeGlob(prefix) + "*"
		var cursor uint64
		for {
			keys, next, err := client.Scan(ctx, cursor, match, batch).Result()
			if err != nil {
				return res, fmt.Errorf("%s: scan %s: %w", where, match, err)
			}
			if len(keys) > 0 {
				n, err := client.Unlink(ctx, keys...).Result()
				if err != nil {
					return res, fmt.Errorf("%s: unlink %d keys under %s: %w", where, len(keys), prefix, err)
				}
				res.Deleted += int(n)
			}
			if next == 0 {
				break
			}
			cursor = next
		}
	}
	return res, nil
}

// escapeGlob quotes the characters SCAN's MATCH pattern gives a meaning
// to, so that a prefix matches only itself.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
