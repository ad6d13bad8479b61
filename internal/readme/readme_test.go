package readme

import (
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

// TestREADMESnippets checks that every Go block of README.md is, token for
// token, a region of some package's example*_test.go marked
// "// README begin" ... "// README end", which the compiler checks.
func TestREADMESnippets(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, pattern := range []string{"../../*/example*_test.go", "../../*/*/example*_test.go"} {
		more, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, more...)
	}
	var regions [][]string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`(?s)// README begin\n(.*?)// README end`).FindAllSubmatch(src, -1) {
			regions = append(regions, goTokens(t, string(m[1])))
		}
	}
	blocks := regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go block")
	}
	for _, m := range blocks {
		block := string(m[1])
		if !slices.ContainsFunc(regions, func(r []string) bool { return slices.Equal(r, goTokens(t, block)) }) {
			t.Errorf("README.md block is not a README region of an example_test.go:\n%s", block)
		}
	}
}

// goTokens is src's tokens without comments and semicolons, so layout
// ("a; b" or two lines) does not matter.
func goTokens(t *testing.T, src string) []string {
	var s scanner.Scanner
	fset := token.NewFileSet()
	s.Init(fset.AddFile("", -1, len(src)), []byte(src), func(pos token.Position, msg string) { t.Errorf("%s: %s", pos, msg) }, 0)
	var out []string
	for {
		_, tok, lit := s.Scan()
		switch tok {
		case token.EOF:
			return out
		case token.SEMICOLON:
			continue
		}
		out = append(out, tok.String()+lit)
	}
}
