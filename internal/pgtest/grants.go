package pgtest

import (
	"os"
	"strings"
	"testing"
)

// Grants returns the statements of docs/grants.sql that grant to role
// (arena_exporter or arena_publisher), with that name replaced by as.
func Grants(t testing.TB, role, as string) string {
	t.Helper()
	b, err := os.ReadFile(RepoFile(t, "docs/grants.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, stmt := range strings.Split(string(b), ";") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		s := strings.TrimSpace(strings.Join(lines, "\n"))
		if strings.HasSuffix(s, " TO "+role) {
			out = append(out, strings.TrimSuffix(s, role)+as+";")
		}
	}
	if len(out) == 0 {
		t.Fatalf("docs/grants.sql grants nothing to %s", role)
	}
	return strings.Join(out, "\n")
}
