// Package readme keeps the README (and docs/) honest: every Go code block in it must be an
// excerpt of a Go file of the repository that compiles (go vet ./... builds them),
// and the shell commands it names must exist as make targets.
package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func root(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// normalize drops blank lines and comment-only lines and folds white space, so
// that a block matches its source whatever its indentation.
func normalize(src string) []string {
	var out []string
	for _, line := range strings.Split(src, "\n") {
		if i := strings.Index(line, " // "); i >= 0 && !strings.Contains(line[:i], "\"") {
			line = line[:i]
		}
		line = strings.Join(strings.Fields(line), " ")
		if line == "" || strings.HasPrefix(line, "//") && !strings.HasPrefix(line, "//go:") {
			continue
		}
		out = append(out, line)
	}
	return out
}

func contains(haystack, needle []string) bool {
	for i := 0; i+len(needle) <= len(haystack); i++ {
		match := true
		for j := range needle {
			if haystack[i+j] != needle[j] {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

func TestGoBlocksAreExcerptsOfCompiledCode(t *testing.T) {
	dir := root(t)
	docs, err := filepath.Glob(filepath.Join(dir, "docs", "*.md"))
	require.NoError(t, err)
	for _, doc := range append([]string{filepath.Join(dir, "README.md")}, docs...) {
		t.Run(filepath.Base(doc), func(t *testing.T) { checkGoBlocks(t, dir, doc) })
	}
}

func checkGoBlocks(t *testing.T, dir, doc string) {
	readme, err := os.ReadFile(doc)
	require.NoError(t, err)
	var sources [][]string
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sources = append(sources, normalize(string(b)))
		}
		return nil
	})
	require.NoError(t, err)
	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	for i, b := range blocks {
		lines := normalize(b[1])
		found := false
		for _, src := range sources {
			if contains(src, lines) {
				found = true
				break
			}
		}
		require.Truef(t, found, "%s: Go block %d is not an excerpt of any Go file in the repository:\n%s", filepath.Base(doc), i+1, b[1])
	}
}

func TestMakeTargetsExist(t *testing.T) {
	dir := root(t)
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	require.NoError(t, err)
	makefile, err := os.ReadFile(filepath.Join(dir, "Makefile"))
	require.NoError(t, err)
	for _, m := range regexp.MustCompile("`make ([a-z-]+)`|\nmake ([a-z-]+)\n").FindAllStringSubmatch(string(readme), -1) {
		target := m[1] + m[2]
		require.Regexpf(t, "(?m)^"+target+":", string(makefile), "README names make %s but the Makefile has no such target", target)
	}
}
