package sink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/names"
	"github.com/bixarena/arena-snapshots/internal/site"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// TypeHTML is the content type of the site's pages.
const TypeHTML = site.TypeHTML

// runsPage is the job's status page (internal/runlog), linked from the
// site's pages when it is there.
const runsPage = "runs/index.html"

// WriteHistory adds a published snapshot to its leaderboard's history,
// SLUG/index.json (snapshot.MergeHistory), after its files and latest are
// stored: runs writing it at the same moment keep each other's lines. A
// stored file that is not the leaderboard's history is left as it is
// (status BadInput).
func (s *Sink) WriteHistory(ctx context.Context, line snapshot.HistoryEntry, now time.Time) error {
	if err := names.Leaderboard(line.Leaderboard); err != nil {
		return exitcode.New(exitcode.BadInput, fmt.Errorf("%s: refused leaderboard %q: %v", s.objs, line.Leaderboard, err))
	}
	key := line.Leaderboard + "/index.json"
	err := s.objs.Update(ctx, key, Meta{ContentType: TypeJSON, CacheControl: CacheLatest}, func(old []byte) ([]byte, error) {
		b, err := snapshot.MergeHistory(old, line, now)
		if err != nil {
			return nil, exitcode.New(exitcode.BadInput, fmt.Errorf("%s: %s: %w", s.objs, key, err))
		}
		return b, nil
	})
	var ee *exitcode.Error
	if err != nil && !(errors.As(err, &ee) && ee.Code == exitcode.BadInput) {
		return fmt.Errorf("%s: write %s: %w", s.objs, key, err)
	}
	return err
}

// WriteSite draws the site's pages from what is stored, after index.json:
// the page of each leaderboard in slugs and of the leaderboards they are
// variants of or have as variants (SLUG/index.html, from SLUG/latest.json,
// SLUG/index.json and index.json), then the front page (index.html, from
// index.json and each leaderboard's latest.json, with the leaderboards of
// skipped that have no snapshot here: site.Front), last. Each page is
// replaced atomically, drawn again from what is stored when another run
// replaced it meanwhile, so that the last page written shows the last
// index. A leaderboard whose latest document is missing or unreadable gets
// no page; the others are drawn all the same, and the errors joined.
func (s *Sink) WriteSite(ctx context.Context, slugs []string, skipped []site.Skipped) error {
	idx, err := s.index(ctx)
	if err != nil {
		return err
	}
	boards := slices.Clone(slugs)
	if idx != nil {
		for _, l := range idx.Leaderboards {
			for _, slug := range slugs {
				if l.VariantOf == slug || (l.Leaderboard == slug && l.VariantOf != "") {
					boards = append(boards, l.Leaderboard, l.VariantOf)
				}
			}
		}
	}
	slices.Sort(boards)
	var errs []error
	for _, slug := range slices.Compact(boards) {
		if names.Leaderboard(slug) != nil {
			continue
		}
		if err := s.writeBoardPage(ctx, slug); err != nil {
			errs = append(errs, err)
		}
	}
	page := Meta{ContentType: TypeHTML, CacheControl: CacheLatest}
	err = s.objs.Update(ctx, "index.html", page, func([]byte) ([]byte, error) {
		idx, err := s.index(ctx)
		if err != nil {
			return nil, err
		}
		if idx == nil {
			idx = &snapshot.Index{}
		}
		f := site.Front{Index: idx, Latest: map[string]*snapshot.Document{}, Skipped: skipped}
		for _, l := range idx.Leaderboards {
			if names.Leaderboard(l.Leaderboard) != nil {
				continue
			}
			if d, err := s.document(ctx, l.Leaderboard+"/latest.json"); err == nil && d != nil {
				f.Latest[l.Leaderboard] = d
			}
		}
		if f.Runs, err = s.exists(ctx, runsPage); err != nil {
			return nil, err
		}
		return site.Index(f)
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("%s: write index.html: %w", s.objs, err))
	}
	return errors.Join(errs...)
}

// RedrawSite draws every page of the site again from what is stored (the
// front page and the page of each leaderboard of index.json), when there
// is a site: nothing when index.html is not there. The job records its
// run after publishing, so the first run's pages are drawn before the run
// history's page exists; drawing them again once it does makes them link
// it from that first run on. The front page drawn again does not know
// what the publish skipped, and lists no leaderboard as not yet published.
func (s *Sink) RedrawSite(ctx context.Context) error {
	front, err := s.exists(ctx, "index.html")
	if err != nil || !front {
		return err
	}
	idx, err := s.index(ctx)
	if err != nil {
		return err
	}
	var slugs []string
	if idx != nil {
		for _, l := range idx.Leaderboards {
			slugs = append(slugs, l.Leaderboard)
		}
	}
	return s.WriteSite(ctx, slugs, nil)
}

// writeBoardPage draws SLUG/index.html from what is stored.
func (s *Sink) writeBoardPage(ctx context.Context, slug string) error {
	key := slug + "/index.html"
	err := s.objs.Update(ctx, key, Meta{ContentType: TypeHTML, CacheControl: CacheLatest}, func([]byte) ([]byte, error) {
		b := site.Board{}
		var err error
		if b.Doc, err = s.document(ctx, slug+"/latest.json"); err != nil {
			return nil, err
		}
		if b.Doc == nil {
			return nil, exitcode.New(exitcode.BadInput, fmt.Errorf("no %s/latest.json", slug))
		}
		raw, found, err := s.objs.Get(ctx, slug+"/index.json")
		if err != nil {
			return nil, err
		}
		if found {
			var h snapshot.History
			if json.Unmarshal(raw, &h) == nil && h.Leaderboard == slug {
				b.History = &h
			}
		}
		if b.Index, err = s.index(ctx); err != nil {
			return nil, err
		}
		if b.Runs, err = s.exists(ctx, runsPage); err != nil {
			return nil, err
		}
		return site.BoardPage(b)
	})
	if err != nil {
		return fmt.Errorf("%s: write %s: %w", s.objs, key, err)
	}
	return nil
}

// index reads index.json; nil when there is none or it is not an index.
func (s *Sink) index(ctx context.Context) (*snapshot.Index, error) {
	raw, found, err := s.objs.Get(ctx, "index.json")
	if err != nil || !found {
		return nil, err
	}
	var idx snapshot.Index
	if json.Unmarshal(raw, &idx) != nil {
		return nil, nil
	}
	return &idx, nil
}

// document reads a stored document; nil when there is none.
func (s *Sink) document(ctx context.Context, key string) (*snapshot.Document, error) {
	raw, found, err := s.objs.Get(ctx, key)
	if err != nil || !found {
		return nil, err
	}
	var d snapshot.Document
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, exitcode.New(exitcode.BadInput, fmt.Errorf("%s is not a snapshot document: %v", key, err))
	}
	return &d, nil
}

func (s *Sink) exists(ctx context.Context, key string) (bool, error) {
	_, found, err := s.objs.Get(ctx, key)
	return found, err
}
