package proxy_test

import (
	"go/scanner"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMESnippets checks that every Go block of README.md that uses the
// proxy is, token for token, a region of example_test.go marked
// "// README begin" ... "// README end", which the compiler checks.
func TestREADMESnippets(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	var regions [][]string
	for _, m := range regexp.MustCompile(`(?s)// README begin\n(.*?)// README end`).FindAllSubmatch(examples, -1) {
		regions = append(regions, goTokens(t, string(m[1])))
	}
	found := 0
	for _, m := range regexp.MustCompile("(?s)```go\n(.*?)```").FindAllSubmatch(readme, -1) {
		block := string(m[1])
		if !strings.Contains(block, "proxy.") {
			continue
		}
		found++
		if !slices.ContainsFunc(regions, func(r []string) bool { return slices.Equal(r, goTokens(t, block)) }) {
			t.Errorf("README.md block is not an Example region of example_test.go:\n%s", block)
		}
	}
	if found == 0 {
		t.Error("README.md has no Go block that uses the proxy")
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
