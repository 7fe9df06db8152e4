// Package sink owns the layout of published snapshots outside the
// database, the same in an S3 bucket and in a local folder:
//
//	PREFIX/SLUG/IDENTIFIER.json   immutable document, written first, never replaced
//	PREFIX/SLUG/IDENTIFIER.svg    its chart (a picture: redrawn when it differs)
//	PREFIX/SLUG/IDENTIFIER.pairs.json      immutable head-to-head document
//	PREFIX/SLUG/IDENTIFIER.observed.svg    its heatmaps (pictures)
//	PREFIX/SLUG/IDENTIFIER.predicted.svg
//	PREFIX/SLUG/latest.json       replaced only after the immutable ones are stored,
//	PREFIX/SLUG/latest.svg        and never by an older snapshot (a backfill)
//	PREFIX/SLUG/index.json        the leaderboard's snapshots, newest first
//	PREFIX/SLUG/index.html        the leaderboard's page (site.Board)
//	PREFIX/index.json             every leaderboard's latest snapshot, written last
//	PREFIX/index.html             the site's front page (site.Index), after index.json
//	PREFIX/held/SLUG/IDENTIFIER.json  a leaderboard the guard held back, with the reasons
//
// and the order of writes that keeps a reader from ever seeing a latest
// that points nowhere. Where the bytes go is an Objects: S3 (NewS3) or a
// folder (NewDir).
package sink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/names"
	"github.com/bixarena/arena-snapshots/internal/snapshot"
)

// Cache lifetimes of the stored files.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CacheLatest    = "public, max-age=300"
	// CachePicture is the lifetime of a snapshot's pictures, which a
	// later version may redraw.
	CachePicture = "public, max-age=86400"
)

// Content types of the stored files.
const (
	TypeJSON = "application/json"
	TypeSVG  = "image/svg+xml"
)

// Meta is what a stored file carries besides its bytes.
type Meta struct {
	ContentType  string
	CacheControl string
}

// Objects stores files under keys ("SLUG/NAME"), relative to the sink's
// root. A key that is not relative or could leave the root (names.Key)
// is refused with status BadInput before anything is touched. Each write is atomic: a reader sees the old content or the new,
// never a part. Errors carry an exit status (exitcode): Transient when the
// store could not be reached or answered with a server error, Config for
// refused credentials or a missing bucket or folder permission, Failure
// otherwise.
type Objects interface {
	// Create stores body under key unless something is there already; it
	// reports whether it stored it. An existing key is left untouched.
	Create(ctx context.Context, key string, body []byte, m Meta) (created bool, err error)
	// Put stores body under key, replacing what is there.
	Put(ctx context.Context, key string, body []byte, m Meta) error
	// Get returns what is stored under key; found is false when nothing is.
	Get(ctx context.Context, key string) (body []byte, found bool, err error)
	// Update replaces what is stored under key with update(old) (old is
	// nil when nothing is there), atomically with respect to the other
	// Updates of key, in this process or another: two updates at once
	// both take effect, one after the other. update may run more than
	// once; an error from it is returned as it is.
	Update(ctx context.Context, key string, m Meta, update func(old []byte) ([]byte, error)) error
	// String names the place for messages and summaries: "s3://bucket/prefix", "dir:PATH".
	String() string
}

// Sink publishes snapshot files to an Objects in the layout above.
type Sink struct {
	objs Objects
	// BeforeLatest, when set, runs after the immutable files are stored and
	// before latest is replaced: a test seam to fail at that moment.
	BeforeLatest func()
}

// New returns a sink writing to objs.
func New(objs Objects) *Sink { return &Sink{objs: objs} }

// String names the sink's place.
func (s *Sink) String() string { return s.objs.String() }

// Publish stores a snapshot's document and chart: IDENTIFIER.json (when a
// document of that name exists, it must be byte-identical, as it is when
// the same snapshot is published again; a different one is an error with
// status BadInput and nothing further is written), IDENTIFIER.svg, the
// extra files (IDENTIFIER.SUFFIX), then latest.json and latest.svg, unless
// latest holds a newer snapshot already (see replaceLatest). Documents
// (JSON) are immutable: an existing one must be byte-identical. Pictures
// (SVG) are drawings of the documents: an existing one that differs (drawn
// by an older version, which may have drawn it wrong) is replaced, so that
// a fixed drawing reaches the snapshots it broke.
//
// slug must be a leaderboard slug (names.Leaderboard) and identifier a
// plain file name that is not "latest" nor hidden: whatever the callers
// checked, nothing is written outside the slug's folder or over the
// layout's own files (status BadInput).
func (s *Sink) Publish(ctx context.Context, slug, identifier string, doc, svg []byte, extras ...Extra) error {
	if err := names.Leaderboard(slug); err != nil {
		return exitcode.New(exitcode.BadInput, fmt.Errorf("%s: refused leaderboard %q: %v", s.objs, slug, err))
	}
	if err := names.Segment(identifier); err != nil || identifier == "latest" || identifier == "index" || strings.HasPrefix(identifier, ".") {
		return exitcode.New(exitcode.BadInput, fmt.Errorf("%s: refused snapshot identifier %q", s.objs, identifier))
	}
	files := append([]Extra{{Suffix: "json", Body: doc, ContentType: TypeJSON}, {Suffix: "svg", Body: svg, ContentType: TypeSVG}}, extras...)
	for _, f := range files {
		if err := names.Segment(identifier + "." + f.Suffix); err != nil || (f.ContentType != TypeJSON && f.ContentType != TypeSVG) {
			return exitcode.New(exitcode.Failure, fmt.Errorf("%s: refused file %s.%s (%s)", s.objs, identifier, f.Suffix, f.ContentType))
		}
		if err := s.storeImmutable(ctx, slug+"/"+identifier+"."+f.Suffix, f); err != nil {
			return err
		}
	}
	if s.BeforeLatest != nil {
		s.BeforeLatest()
	}
	return s.replaceLatest(ctx, slug, identifier, doc, svg)
}

// errKeep tells Update to leave a stored file as it is.
var errKeep = errors.New("keep the stored file")

// replaceLatest makes doc and svg the leaderboard's latest unless
// latest.json holds a newer snapshot (snapshot.Stamp order: a backfill
// never moves latest back in time). latest.svg follows latest.json: it is
// replaced only while latest.json names this snapshot, checked inside the
// chart's own atomic update, so that two publishers at once leave the
// chart of the snapshot that won.
func (s *Sink) replaceLatest(ctx context.Context, slug, identifier string, doc, svg []byte) error {
	ours, ok := snapshot.StampOf(doc)
	if !ok {
		return exitcode.New(exitcode.Failure, fmt.Errorf("%s: %s/%s.json is not a snapshot document", s.objs, slug, identifier))
	}
	latest := Meta{ContentType: TypeJSON, CacheControl: CacheLatest}
	err := s.objs.Update(ctx, slug+"/latest.json", latest, func(old []byte) ([]byte, error) {
		if cur, ok := snapshot.StampOf(old); ok && ours.Before(cur) {
			return nil, errKeep
		}
		return doc, nil
	})
	if errors.Is(err, errKeep) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: write %s/latest.json: %w", s.objs, slug, err)
	}
	err = s.objs.Update(ctx, slug+"/latest.svg", Meta{ContentType: TypeSVG, CacheControl: CacheLatest}, func([]byte) ([]byte, error) {
		cur, _, err := s.objs.Get(ctx, slug+"/latest.json")
		if err != nil {
			return nil, err
		}
		if st, ok := snapshot.StampOf(cur); !ok || st.Identifier != identifier {
			return nil, errKeep
		}
		return svg, nil
	})
	if err != nil && !errors.Is(err, errKeep) {
		return fmt.Errorf("%s: write %s/latest.svg: %w", s.objs, slug, err)
	}
	return nil
}

// Extra is a file of a snapshot besides its document and chart, stored
// as SLUG/IDENTIFIER.SUFFIX: a JSON document (TypeJSON) or a picture
// (TypeSVG).
type Extra struct {
	Suffix      string // "pairs.json", "observed.svg", ...
	Body        []byte
	ContentType string
}

// storeImmutable stores one of a snapshot's files under key unless it is
// there: a JSON document must then be byte-identical (else BadInput), a
// picture that differs is replaced.
func (s *Sink) storeImmutable(ctx context.Context, key string, f Extra) error {
	m := Meta{ContentType: f.ContentType, CacheControl: CacheImmutable}
	if f.ContentType == TypeSVG {
		m.CacheControl = CachePicture
	}
	created, err := s.objs.Create(ctx, key, f.Body, m)
	if err != nil {
		return fmt.Errorf("%s: write %s: %w", s.objs, key, err)
	}
	if created {
		return nil
	}
	old, found, err := s.objs.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", s.objs, key, err)
	}
	switch {
	case found && bytes.Equal(old, f.Body):
		return nil
	case f.ContentType == TypeSVG:
		if err := s.objs.Put(ctx, key, f.Body, m); err != nil {
			return fmt.Errorf("%s: write %s: %w", s.objs, key, err)
		}
		return nil
	}
	return exitcode.WithHint(exitcode.BadInput,
		fmt.Errorf("%s: %s exists with different content", s.objs, key),
		"the same run (as_of) was published with other numbers: export again for a new run; records without as_of: publish again a second later")
}

// HeldFolder is the top-level folder of held leaderboards; like runs/ and
// index.json, no leaderboard may be named after it.
const HeldFolder = "held"

// CacheHeld is the cache lifetime of a held leaderboard's document.
const CacheHeld = "no-cache"

// Hold stores the document of a leaderboard the guard held back as
// held/SLUG/IDENTIFIER.json, replacing one of that name (the same run held
// again). Nothing else is written: the leaderboard's latest and the index
// stay as they are.
func (s *Sink) Hold(ctx context.Context, slug, identifier string, doc []byte) error {
	key := HeldFolder + "/" + slug + "/" + identifier + ".json"
	if err := s.objs.Put(ctx, key, doc, Meta{ContentType: TypeJSON, CacheControl: CacheHeld}); err != nil {
		return fmt.Errorf("%s: write %s: %w", s.objs, key, err)
	}
	return nil
}

// Objects returns the place the sink writes to.
func (s *Sink) Objects() Objects { return s.objs }

// WriteIndex merges lines into index.json: the stored index keeps the
// leaderboards this run did not publish, and runs writing it at the same
// moment do not lose each other's lines.
func (s *Sink) WriteIndex(ctx context.Context, lines []snapshot.IndexEntry, now time.Time) error {
	err := s.objs.Update(ctx, "index.json", Meta{ContentType: TypeJSON, CacheControl: CacheLatest}, func(old []byte) ([]byte, error) {
		b, err := snapshot.MergeIndex(old, lines, now)
		if err != nil {
			return nil, exitcode.New(exitcode.BadInput, fmt.Errorf("%s: index.json: %w", s.objs, err))
		}
		return b, nil
	})
	var ee *exitcode.Error
	if err != nil && !(errors.As(err, &ee) && ee.Code == exitcode.BadInput) {
		return fmt.Errorf("%s: write index.json: %w", s.objs, err)
	}
	return err
}
