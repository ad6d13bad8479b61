package main

import (
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// setUsage makes fs print "usage: <synopsis>", head (if any) and its
// options, each once with all its names ("-p, --port int"): the commands
// define every option under Pyro4's short and long name.
func setUsage(fs *flag.FlagSet, synopsis, head string) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n", synopsis)
		if head != "" {
			fmt.Fprint(w, head)
		}
		fmt.Fprintln(w, "\noptions:")
		printFlags(w, fs)
	}
}

// printFlags lists fs's options, the names of one variable together.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	type option struct {
		names []string
		f     *flag.Flag
	}
	var opts []*option
	byVar := map[uintptr]*option{}
	fs.VisitAll(func(f *flag.Flag) {
		key := reflect.ValueOf(f.Value).Pointer() // both names share the variable
		if o := byVar[key]; o != nil {
			o.names = append(o.names, f.Name)
			return
		}
		o := &option{names: []string{f.Name}, f: f}
		byVar[key] = o
		opts = append(opts, o)
	})
	for _, o := range opts {
		var names []string
		for _, n := range o.names {
			if len(n) == 1 {
				names = append(names, "-"+n)
			} else {
				names = append(names, "--"+n)
			}
		}
		// the short name first, as Pyro4's tools list them
		if len(names) == 2 && len(o.names[1]) == 1 {
			names[0], names[1] = names[1], names[0]
		}
		typ, text := flag.UnquoteUsage(o.f)
		line := "  " + strings.Join(names, ", ")
		if typ != "" {
			line += " " + typ
		}
		if d := o.f.DefValue; d != "" && d != "0" && d != "false" {
			text += fmt.Sprintf(" (default %q)", d)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, text)
	}
}
