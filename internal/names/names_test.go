package names

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLeaderboard(t *testing.T) {
	for _, s := range []string{"overall", "genomics", "pharmacology-and-toxicology", "cell_biology", "x", "3d-structure",
		strings.Repeat("a", MaxLeaderboard), "index", "latest"} {
		if err := Leaderboard(s); err != nil {
			t.Errorf("Leaderboard(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", ".", "..", "../../escaped", "a/b", `a\b`, "/abs", "index.json", "index.html",
		"runs", "held", "Gene Therapy", "Genomics", "gene therapy", "-x", "_x", "a.b", "a\x00b", "a\x1b[31m",
		"génomique", "a\u202eb", strings.Repeat("a", MaxLeaderboard+1), " genomics", "genomics\n"} {
		if err := Leaderboard(s); err == nil {
			t.Errorf("Leaderboard(%q) = nil, want an error", s)
		}
	}
}

func TestModel(t *testing.T) {
	for _, s := range []string{"gpt-4", "GPT-4", "claude 3 opus", "模型-7b", "a/b", "..",
		strings.Repeat("é", MaxModel), strings.Repeat("x", MaxModel)} {
		if err := Model(s); err != nil {
			t.Errorf("Model(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range []string{"", "gpt-4 ", " gpt-4", "\tgpt", "gpt\x1b[2J", "a\x00b", "a\u202eb", "a\u2028b", "a\u200bb",
		"\xff", strings.Repeat("é", MaxModel+1), strings.Repeat("x", MaxModel+1)} {
		if err := Model(s); err == nil {
			t.Errorf("Model(%q) = nil, want an error", s)
		}
	}
}

func TestKey(t *testing.T) {
	for _, k := range []string{"index.json", "overall/latest.json", "genomics/snapshot_2025-01-01_00-00-00.svg"} {
		if err := Key(k); err != nil {
			t.Errorf("Key(%q) = %v", k, err)
		}
	}
	for _, k := range []string{"", "/", "/etc/passwd", "../x", "a/../../x", "a/./b", "a//b", "a/", ".", "..",
		`..\x`, "a\x00", strings.Repeat("a", 256) + "/x"} {
		if err := Key(k); err == nil {
			t.Errorf("Key(%q) = nil, want an error", k)
		}
	}
}

// FuzzNamesReachingPaths checks that a name the rules accept stays one
// segment under any root, as a folder and as the prefix of a key.
func FuzzNamesReachingPaths(f *testing.F) {
	for _, s := range []string{"overall", "../../escaped", "..", ".", "index.json", "a/b", "runs", "Gene Therapy",
		"a\x00", "x\\..\\y", "%2e%2e", "\u2025", "-", "a-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		root := filepath.FromSlash("/srv/out")
		if Leaderboard(s) == nil {
			for _, name := range []string{"latest.json", "snapshot_1.svg"} {
				if err := Key(s + "/" + name); err != nil {
					t.Fatalf("slug %q passes but key %q fails: %v", s, s+"/"+name, err)
				}
			}
			p := filepath.Join(root, s)
			if filepath.Dir(p) != root || filepath.Base(p) != s {
				t.Fatalf("slug %q is not one segment under the root: %s", s, p)
			}
			if s == "index.json" || s == "index.html" || s == "runs" || s == "held" {
				t.Fatalf("reserved name %q passes", s)
			}
		}
		if Key(s) == nil {
			p := filepath.Join(root, filepath.FromSlash(s))
			rel, err := filepath.Rel(root, p)
			if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) || filepath.ToSlash(rel) != s {
				t.Fatalf("key %q passes but joins to %s (rel %q, %v)", s, p, rel, err)
			}
		}
	})
}
