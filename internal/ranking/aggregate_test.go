package ranking

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/bixarena/arena-snapshots/internal/battle"
)

// Memory holds each leaderboard's own cells, not a slot for every cell of
// the arena: 10,000 battles, each between its own two models and in its
// own category, take a few MB (dense counts took 470 MB), and the counts
// are the same as dense ones.
func TestSparseBoards(t *testing.T) {
	const n = 10_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	a := NewAggregator("")
	for i := range n {
		a.Add(&battle.Battle{
			ModelA: []byte(fmt.Sprintf("m%da", i)), ModelB: []byte(fmt.Sprintf("m%db", i)),
			Outcome: battle.AWins, Count: 2, Categories: [][]byte{[]byte(fmt.Sprintf("c%d", i))},
		})
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("aggregating %d one-battle categories allocated %d MB", n, grew>>20)
	}
	for _, i := range []int{0, 1, 4999, n - 1} {
		b := a.boards[fmt.Sprintf("c%d", i)]
		var cells, battles int64
		a.each(b, func(k cellKey, c int64) {
			cells++
			battles += c
			if a.slugs[k.a] != fmt.Sprintf("m%da", i) {
				t.Errorf("c%d holds a battle of %s", i, a.slugs[k.a])
			}
		})
		if cells != 1 || battles != 2 {
			t.Errorf("c%d: %d cells, %d battles; want 1, 2", i, cells, battles)
		}
	}
	var battles int64
	a.each(a.overall, func(_ cellKey, c int64) { battles += c })
	if battles != 2*n {
		t.Errorf("overall holds %d battles, want %d", battles, 2*n)
	}
}
