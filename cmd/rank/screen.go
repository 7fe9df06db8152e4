package main

import (
	"fmt"

	"github.com/bixarena/arena-snapshots/internal/battle"
	"github.com/bixarena/arena-snapshots/internal/clix"
	"github.com/bixarena/arena-snapshots/internal/exitcode"
	"github.com/bixarena/arena-snapshots/internal/names"
)

// Default caps on what one run may hold (--max-models, --max-categories,
// --max-battles): far above a real arena, low enough that a hostile file
// fails cleanly instead of exhausting memory or time.
const (
	DefaultMaxModels     = 1000
	DefaultMaxCategories = 1000
	DefaultMaxBattles    = int64(battle.MaxCount) // 2^40
)

// screen checks the names in battles as they enter and bounds what the
// aggregation holds (internal/names has the rules):
//
//   - a category that cannot be a leaderboard slug is dropped from every
//     battle, with one warning naming the place of its first use; the
//     battle still counts in overall and its other categories;
//   - a battle whose model name cannot be published (names.Model) is left
//     out, with one warning per name;
//
// The names are checked once each, when the aggregator meets them first
// (admit is its Screen), so that screening costs nothing per battle;
//   - more distinct models or categories than the caps, or more battles in
//     all, is bad input naming the cap's flag: memory is bounded by the
//     caps, not by what is read.
type screen struct {
	log                      *clix.Logger
	maxModels, maxCategories int
	maxBattles               int64

	categories map[string]bool // leaderboards named by headers
	nModels    int             // distinct model names met
	nCats      int             // distinct categories and header leaderboards met
	battles    int64
	dropped    int64 // battle lines left out for a model name
	label      string
	line       int
	err        error

	inputs int
	filter battle.Filter // of the inputs so far (sources.stream)
	first  string        // the first input's name
	src    *sources      // the inputs read so far
}

func newScreen(log *clix.Logger, maxModels, maxCategories int, maxBattles int64) *screen {
	return &screen{log: log, maxModels: maxModels, maxCategories: maxCategories, maxBattles: maxBattles,
		categories: map[string]bool{}, src: newSources()}
}

// input checks an input's header (nil for a file of battle lines only)
// before its battles are counted: every input must hold the battles of the
// same leaderboard filter, or the leaderboards would mix filtered and
// unfiltered battles, and no two streams may overlap in time (sources).
// It returns the header with its unpublishable leaderboards dropped and
// the filter of every stream so far.
func (s *screen) input(label string, h *battle.Header) (*battle.Header, error) {
	var f battle.Filter
	if h != nil {
		f = h.Filter
	}
	if f.Leaderboard != "" {
		if err := names.Leaderboard(f.Leaderboard); err != nil {
			return nil, exitcode.New(exitcode.BadInput,
				fmt.Errorf("%s: the header's filter names leaderboard %q: %v", label, f.Leaderboard, err))
		}
	}
	s.inputs++
	if s.inputs == 1 {
		s.first = label
		s.filter.Leaderboard = f.Leaderboard
	} else if f.Leaderboard != s.filter.Leaderboard {
		return nil, exitcode.WithHint(exitcode.BadInput,
			fmt.Errorf("%s holds %s, but %s holds %s", label, describeFilter(battle.Filter{Leaderboard: f.Leaderboard}), s.first,
				describeFilter(battle.Filter{Leaderboard: s.filter.Leaderboard})),
			"rank inputs exported with the same --leaderboard together")
	}
	if h == nil {
		return nil, nil
	}
	var err error
	if s.filter, err = s.src.stream(label, h, s.filter); err != nil {
		return nil, err
	}
	c := *h
	c.Filter = s.filter
	c.Leaderboards = nil
	for _, lb := range h.Leaderboards {
		if err := names.Leaderboard(lb.Slug); err != nil {
			s.log.Warnf("%s: header leaderboard %q is left out: %v", label, lb.Slug, err)
			continue
		}
		// A leaderboard the header names is a board to rank, as a
		// category is: it counts against the same cap.
		if _, known := s.categories[lb.Slug]; !known && lb.Slug != battle.Overall {
			s.categories[lb.Slug] = true
			if s.nCats++; s.nCats > s.maxCategories {
				return nil, exitcode.WithHint(exitcode.BadInput,
					fmt.Errorf("%s: the header names more than %d leaderboards (%s)", label, s.maxCategories, clix.FlagName("max-categories", "MAX_CATEGORIES")),
					"raise "+clix.FlagName("max-categories", "MAX_CATEGORIES")+" if the input is meant to hold that many")
			}
		}
		c.Leaderboards = append(c.Leaderboards, lb)
	}
	return &c, nil
}

func describeFilter(f battle.Filter) string {
	if f == (battle.Filter{}) {
		return "the whole arena"
	}
	s := "battles"
	if f.Leaderboard != "" {
		s += " of leaderboard " + f.Leaderboard
	}
	if f.Since != "" {
		s += " since " + f.Since
	}
	if f.Until != "" {
		s += " until " + f.Until
	}
	return s
}

// at says where the next battle comes from, for warnings and errors.
func (s *screen) at(label string, line int) { s.label, s.line = label, line }

// battle checks the battles' cap before a battle is counted.
func (s *screen) battle(b *battle.Battle) error {
	if s.battles += b.Count; s.battles > s.maxBattles {
		return capError(s.label, s.line, fmt.Sprintf("more than %d battles in all", s.maxBattles), "max-battles", "MAX_BATTLES")
	}
	return nil
}

// admit is the aggregator's Screen: it is asked once per distinct model
// and category name, at the line of its first use. Every distinct name,
// admitted or not, counts against its cap, so that memory stays bounded;
// past the cap it records the error (Err) and refuses.
func (s *screen) admit(category bool, name string) bool {
	if s.err != nil {
		return false
	}
	if category {
		if s.nCats++; s.nCats > s.maxCategories {
			s.err = capError(s.label, s.line, fmt.Sprintf("more than %d distinct categories", s.maxCategories), "max-categories", "MAX_CATEGORIES")
			return false
		}
		if err := names.Leaderboard(name); err != nil {
			s.log.Warnf("%s:%d: category %q cannot be a leaderboard (%v): it is dropped from its battles, which still count in overall and their other categories",
				s.label, s.line, name, err)
			return false
		}
		return true
	}
	if s.nModels++; s.nModels > s.maxModels {
		s.err = capError(s.label, s.line, fmt.Sprintf("more than %d distinct models", s.maxModels), "max-models", "MAX_MODELS")
		return false
	}
	if err := names.Model(name); err != nil {
		s.log.Warnf("%s:%d: model %q cannot be published (%v): its battles are left out", s.label, s.line, name, err)
		return false
	}
	return true
}

// Err returns the cap that admit found exceeded, or nil.
func (s *screen) Err() error { return s.err }

func capError(label string, line int, what, flag, env string) error {
	return exitcode.WithHint(exitcode.BadInput, &battle.Error{Name: label, Line: line, Msg: what + " (" + clix.FlagName(flag, env) + ")"},
		"raise "+clix.FlagName(flag, env)+" if the input is meant to hold that many")
}
