package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct {
	line int
	op   string // upper case: FROM, COPY, RUN, ...
	args string
}

func parseDockerfile(t *testing.T, path string) []dockerInstruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []dockerInstruction
	var cur strings.Builder
	start := 0
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		op, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstruction{line: start, op: strings.ToUpper(op), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDockerfile checks what can be checked without a Docker engine: every
// path copied from the build context exists in the repository and is not
// excluded by .dockerignore, the builder builds exactly the cmd/ folders,
// and the runtime stage copies each binary and the entrypoint and runs the
// entrypoint as a non-root user.
func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	ins := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	ignored := dockerignore(t, filepath.Join(root, ".dockerignore"))

	var cmds []string
	entries, err := os.ReadDir(filepath.Join(root, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			cmds = append(cmds, e.Name())
		}
	}
	if len(cmds) != 3 {
		t.Errorf("cmd/ holds %v, want the three tools", cmds)
	}

	var built, copiedBins []string
	var froms, users, entrypoint []string
	copiedEntrypoint := false
	runtimeCurl := false // the failure webhook needs an HTTP client
	runtimeJQ := false   // the entrypoint writes its log lines with jq
	for _, in := range ins {
		switch in.op {
		case "FROM":
			froms = append(froms, in.args)
		case "USER":
			users = append(users, in.args)
		case "ENTRYPOINT":
			entrypoint = append(entrypoint, in.args)
		case "RUN":
			if len(froms) >= 2 && strings.Contains(in.args, "install") && strings.Contains(in.args, "curl") {
				runtimeCurl = true
			}
			if len(froms) >= 2 && strings.Contains(in.args, "install") && regexp.MustCompile(`\bjq\b`).MatchString(in.args) {
				runtimeJQ = true
			}
			if strings.Contains(in.args, "go build") {
				for _, m := range regexp.MustCompile(`\./cmd/([A-Za-z0-9_-]+)`).FindAllStringSubmatch(in.args, -1) {
					built = append(built, m[1])
				}
				for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "internal/clix.version="} {
					if !strings.Contains(in.args, want) {
						t.Errorf("Dockerfile:%d: go build lacks %q", in.line, want)
					}
				}
			}
		case "COPY":
			fields := strings.Fields(in.args)
			var from string
			var paths []string
			for _, f := range fields {
				if v, ok := strings.CutPrefix(f, "--from="); ok {
					from = v
				} else if !strings.HasPrefix(f, "--") {
					paths = append(paths, f)
				}
			}
			if len(paths) < 2 {
				t.Errorf("Dockerfile:%d: COPY needs a source and a destination: %q", in.line, in.args)
				continue
			}
			srcs, dst := paths[:len(paths)-1], paths[len(paths)-1]
			for _, src := range srcs {
				if from != "" {
					copiedBins = append(copiedBins, filepath.Base(src))
					continue
				}
				if _, err := os.Stat(filepath.Join(root, src)); err != nil {
					t.Errorf("Dockerfile:%d: COPY source %s does not exist in the repository", in.line, src)
				}
				if p := ignoredBy(ignored, src); p != "" {
					t.Errorf("Dockerfile:%d: COPY source %s is excluded by .dockerignore (%s)", in.line, src, p)
				}
				if src == "scripts/entrypoint.sh" {
					copiedEntrypoint = true
					if dst != "/usr/local/bin/entrypoint.sh" {
						t.Errorf("Dockerfile:%d: entrypoint copied to %s", in.line, dst)
					}
				}
			}
		}
	}
	slices.Sort(built)
	slices.Sort(copiedBins)
	if !slices.Equal(built, cmds) {
		t.Errorf("the builder builds %v, want the cmd/ folders %v", built, cmds)
	}
	if !slices.Equal(copiedBins, cmds) {
		t.Errorf("the runtime stage copies the binaries %v, want %v", copiedBins, cmds)
	}
	if !runtimeCurl {
		t.Error("the runtime stage does not install curl (the failure webhook needs it)")
	}
	if !runtimeJQ {
		t.Error("the runtime stage does not install jq (the entrypoint's log lines need it)")
	}
	if !copiedEntrypoint {
		t.Error("scripts/entrypoint.sh is not copied into the image")
	}
	if len(froms) < 2 || !strings.HasPrefix(froms[0], "golang:1.26") {
		t.Errorf("want a multi-stage build from golang:1.26, got FROM %v", froms)
	}
	if len(users) == 0 || users[len(users)-1] == "root" || strings.HasPrefix(users[len(users)-1], "0") {
		t.Errorf("the image must run as a non-root user, got USER %v", users)
	}
	if len(entrypoint) != 1 || entrypoint[0] != `["/usr/local/bin/entrypoint.sh"]` {
		t.Errorf("ENTRYPOINT %v, want [\"/usr/local/bin/entrypoint.sh\"]", entrypoint)
	}
	if fi, err := os.Stat(filepath.Join(root, "scripts/entrypoint.sh")); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("scripts/entrypoint.sh must exist and be executable (%v)", err)
	}
}

func dockerignore(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var pats []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			pats = append(pats, l)
		}
	}
	return pats
}

// ignoredBy returns the .dockerignore pattern that excludes src or one of
// its parent folders, or "". Exceptions (!pattern) are not supported: the
// test fails loudly if one appears, rather than guessing.
func ignoredBy(pats []string, src string) string {
	src = filepath.Clean(src)
	for _, p := range pats {
		if strings.HasPrefix(p, "!") {
			return p + " (exceptions are not understood by this test)"
		}
		for s := src; s != "." && s != "/"; s = filepath.Dir(s) {
			if ok, _ := filepath.Match(strings.TrimPrefix(p, "/"), s); ok {
				return p
			}
		}
	}
	return ""
}
