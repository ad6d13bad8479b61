package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gyro-rpc/gyro/config"
	"github.com/gyro-rpc/gyro/naming"
	"github.com/gyro-rpc/gyro/proxy"
	"github.com/gyro-rpc/gyro/pyval"
	"github.com/gyro-rpc/gyro/serial"
)

const nscUsage = `Usage: gyro nsc [options] command [arguments]
Commands: register remove removematching lookup list listmatching
          listmeta_all listmeta_any setmeta ping
`

// nscCommands are pyro4-nsc's commands.
var nscCommands = map[string]func(*nscCall) error{
	"ping":           nscPing,
	"list":           nscList,
	"listmatching":   nscListMatching,
	"listmeta_all":   nscListMeta("metadata_all"),
	"listmeta_any":   nscListMeta("metadata_any"),
	"lookup":         nscLookup,
	"register":       nscRegister,
	"remove":         nscRemove,
	"removematching": nscRemoveMatching,
	"setmeta":        nscSetMeta,
}

// nscCall is one command against a located name server.
type nscCall struct {
	ctx   context.Context
	ns    *proxy.Proxy
	args  []string // the command and its arguments
	stdin *bufio.Reader
	out   io.Writer
}

// exitError ends nsc with its text on stderr and exit code 1, as
// pyro4-nsc's SystemExit("...") for a wrong number of arguments.
type exitError string

func (e exitError) Error() string { return string(e) }

// nsc is `gyro nsc`, pyro4-nsc. Like it, it reports a failed command on
// stdout as "Error: <class> - <message>" and still exits 0; only a usage
// error (2) or a wrong argument count (1) change the exit code.
func nsc(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gyro nsc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, nscUsage+"\nOptions:\n")
		printFlags(stderr, fs)
	}
	var (
		host, unixSocket, key string
		port                  int
		verbose               bool
	)
	stringFlag(fs, &host, "", "n", "host", "hostname of the NS")
	fs.IntVar(&port, "p", 0, "port of the NS (or bc-port if host isn't specified)")
	fs.IntVar(&port, "port", 0, "port of the NS (or bc-port if host isn't specified)")
	stringFlag(fs, &unixSocket, "", "u", "unixsocket", "Unix domain socket name of the NS")
	stringFlag(fs, &key, "", "k", "key", "the HMAC key to use (deprecated: use PYRO_HMAC_KEY)")
	fs.BoolVar(&verbose, "v", false, "verbose output")
	fs.BoolVar(&verbose, "verbose", false, "verbose output")
	cmd, code, ok := parseInterspersed(fs, args)
	if !ok {
		return code
	}
	key, err := hmacKey(key, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if len(cmd) == 0 || nscCommands[cmd[0]] == nil {
		fmt.Fprint(stderr, nscUsage+"\ngyro nsc: error: invalid or missing command\n")
		return 2
	}
	cfg, err := config.FromEnv()
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	if verbose {
		fmt.Fprintln(stdout, "Locating name server...")
	}
	if unixSocket != "" {
		host = "./u:" + unixSocket
	}
	ns, err := naming.LocateNS(ctx, naming.LocateOptions{Host: host, Port: port, HMACKey: []byte(key), Config: &cfg})
	if err != nil {
		// Pyro4 prints str() of the NamingError here, without its class.
		var exc *pyval.Exception
		if errors.As(err, &exc) {
			fmt.Fprintf(stdout, "Error: %s\n", exc.Message())
		} else {
			fmt.Fprintf(stdout, "Error: %v\n", err)
		}
		return 0
	}
	defer ns.Close()
	if verbose {
		fmt.Fprintf(stdout, "Name server found: %s\n", ns.URI())
	}
	c := &nscCall{ctx: ctx, ns: ns, args: cmd, stdin: bufio.NewReader(orEmpty(stdin)), out: stdout}
	if err := nscCommands[cmd[0]](c); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			fmt.Fprintln(stderr, exit)
			return 1
		}
		fmt.Fprintln(stdout, errorLine(err))
	}
	if verbose {
		fmt.Fprintln(stdout, "Done.")
	}
	return 0
}

// parseInterspersed parses options anywhere among the arguments, as
// Python's optparse does, and returns the others; "--" ends the options.
func parseInterspersed(fs *flag.FlagSet, args []string) (positional []string, code int, ok bool) {
	for {
		if code, ok := parseFlags(fs, args); !ok {
			return nil, code, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, 0, true
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(positional, rest...), 0, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return strings.NewReader("")
	}
	return r
}

// errorLine is pyro4-nsc's "Error: <class> - <str(exception)>".
func errorLine(err error) string {
	var exc *pyval.Exception
	if errors.As(err, &exc) {
		return fmt.Sprintf("Error: %s - %s", exc.Name(), exc.Message())
	}
	return fmt.Sprintf("Error: %v", err)
}

func (c *nscCall) call(method string, args []any, kwargs map[string]any) (any, error) {
	return c.ns.CallKw(c.ctx, method, args, kwargs)
}

func nscPing(c *nscCall) error {
	if _, err := c.call("ping", nil, nil); err != nil {
		return err
	}
	fmt.Fprintln(c.out, "Name server ping ok.")
	return nil
}

func nscList(c *nscCall) error {
	kw := map[string]any{"return_metadata": true}
	title := ""
	if len(c.args) > 1 {
		kw["prefix"] = c.args[1]
		title = fmt.Sprintf("- prefix '%s'", c.args[1])
	}
	return c.list(kw, title)
}

func nscListMatching(c *nscCall) error {
	if len(c.args) != 2 {
		return exitError("requires one argument: pattern")
	}
	return c.list(map[string]any{"regex": c.args[1], "return_metadata": true}, fmt.Sprintf("- regex '%s'", c.args[1]))
}

func nscListMeta(filter string) func(*nscCall) error {
	return func(c *nscCall) error {
		if len(c.args) < 2 {
			return exitError("requires at least one metadata tag argument")
		}
		return c.list(map[string]any{filter: tagSet(c.args[1:]), "return_metadata": true}, " - searched by metadata")
	}
}

// list calls the name server's list and prints the result as pyro4-nsc
// does, sorted by name.
func (c *nscCall) list(kwargs map[string]any, title string) error {
	res, err := c.call("list", nil, kwargs)
	if err != nil {
		return err
	}
	d, ok := res.(*pyval.Dict)
	if !ok {
		return fmt.Errorf("list returned %s, not a dict", pyval.TypeName(res))
	}
	items := d.Items()
	slices.SortFunc(items, func(a, b pyval.Item) int { return strings.Compare(pyStr(a.Key), pyStr(b.Key)) })
	fmt.Fprintf(c.out, "--------START LIST %s\n", title)
	for _, it := range items {
		uri, meta := uriAndMeta(it.Value)
		fmt.Fprintf(c.out, "%s --> %s\n", pyStr(it.Key), pyStr(uri))
		if truthy(meta) {
			fmt.Fprintf(c.out, "    metadata: %s\n", serial.Repr(meta))
		}
	}
	fmt.Fprintf(c.out, "--------END LIST %s\n", title)
	return nil
}

func nscLookup(c *nscCall) error {
	if len(c.args) != 2 {
		return exitError("requires one argument: name")
	}
	res, err := c.call("lookup", []any{c.args[1]}, map[string]any{"return_metadata": true})
	if err != nil {
		return err
	}
	uri, meta := uriAndMeta(res)
	fmt.Fprintln(c.out, pyStr(uri))
	if truthy(meta) {
		fmt.Fprintf(c.out, "metadata: %s\n", serial.Repr(meta))
	}
	return nil
}

func nscRegister(c *nscCall) error {
	if len(c.args) != 3 {
		return exitError("requires two arguments: name uri")
	}
	// safe: nsc never overwrites a registration
	if _, err := c.call("register", []any{c.args[1], c.args[2]}, map[string]any{"safe": true}); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "Registered %s\n", c.args[1])
	return nil
}

func nscRemove(c *nscCall) error {
	if len(c.args) != 2 {
		return exitError("requires one argument: name")
	}
	res, err := c.call("remove", []any{c.args[1]}, nil)
	if err != nil {
		return err
	}
	if n, ok := res.(int64); ok && n > 0 {
		fmt.Fprintf(c.out, "Removed %s\n", c.args[1])
	} else {
		fmt.Fprintln(c.out, "Nothing removed")
	}
	return nil
}

func nscRemoveMatching(c *nscCall) error {
	if len(c.args) != 2 {
		return exitError("requires one argument: pattern")
	}
	// Python's input(): the prompt without a newline, then one line.
	fmt.Fprint(c.out, "Potentially removing lots of items from the Name server. Are you sure (y/n)?")
	line, err := c.stdin.ReadString('\n')
	if err != nil && line == "" {
		return pyval.NewException("builtins.EOFError", "EOF when reading a line")
	}
	if sure := strings.TrimSpace(line); sure != "y" && sure != "Y" {
		return nil
	}
	res, err := c.call("remove", nil, map[string]any{"regex": c.args[1]})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%s items removed.\n", pyStr(res))
	return nil
}

func nscSetMeta(c *nscCall) error {
	if len(c.args) < 2 {
		return exitError("requires at least 2 arguments: uri and zero or more meta tags")
	}
	tags := tagSet(c.args[2:])
	if _, err := c.call("set_metadata", []any{c.args[1], tags}, nil); err != nil {
		return err
	}
	if len(tags) > 0 {
		fmt.Fprintln(c.out, "Metadata updated")
	} else {
		fmt.Fprintln(c.out, "Metadata cleared")
	}
	return nil
}

// tagSet is Python's set(tags).
func tagSet(tags []string) pyval.Set {
	s := pyval.Set{}
	for _, t := range tags {
		if !s.Contains(t) {
			s = append(s, t)
		}
	}
	return s
}

// uriAndMeta splits a (uri, metadata) pair, a tuple or (over json) a list.
func uriAndMeta(v any) (uri, meta any) {
	switch p := v.(type) {
	case pyval.Tuple:
		if len(p) == 2 {
			return p[0], p[1]
		}
	case []any:
		if len(p) == 2 {
			return p[0], p[1]
		}
	}
	return v, nil
}

// truthy is Python's bool() for the values a name server sends.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case pyval.Tuple:
		return len(x) > 0
	case pyval.Set:
		return len(x) > 0
	case *pyval.Dict:
		return x.Len() > 0
	case int64:
		return x != 0
	}
	return true
}

// pyStr is Python's str() for the values nsc prints.
func pyStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case pyval.URI:
		return x.String()
	}
	return serial.Repr(v)
}
