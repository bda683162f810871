// Command dist-example sends and receives numbered UDP datagrams over real networks and
// over the in-process simulator, to make loss, duplication, reordering and delay visible.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// command is one subcommand. Each lives in its own file and registers itself in init.
type command struct {
	name    string
	summary string // one line for the top-level help
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// usageError marks a bad command line: main exits 2 for it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error; callers name the flag and what is accepted.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs) // a second Ctrl-C has its default effect: it ends the process
		cancel(signalled{s})
	}()
	os.Exit(exitCode(run(ctx, os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// signalled is the cause of main's context ending: SIGINT or SIGTERM arrived. A command
// that stops short for it returns an error wrapping it, and exits 128 plus the signal's
// number, as shells report a process a signal ended (130 for SIGINT, 143 for SIGTERM).
type signalled struct{ sig os.Signal }

func (s signalled) Error() string { return signalName(s.sig) }

func (s signalled) exitCode() int {
	if n, ok := s.sig.(syscall.Signal); ok {
		return 128 + int(n)
	}
	return 1
}

// signalName is SIGINT or SIGTERM, the names users type.
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// stopCause says what ended ctx: "SIGINT", "SIGTERM", or the context's error.
func stopCause(ctx context.Context) string {
	var s signalled
	if errors.As(context.Cause(ctx), &s) {
		return signalName(s.sig)
	}
	if err := ctx.Err(); err != nil {
		return err.Error()
	}
	return "an interrupt"
}

// exitCode maps run's error to the process exit status: 0 ok (and -h), 2 usage, 128+N
// for a run cut short by signal N, 1 other.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	var sg signalled
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &sg):
		fmt.Fprintln(stderr, "dist-example:", err)
		return sg.exitCode()
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "dist-example:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "dist-example:", err)
		return 1
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		topUsage(stderr)
		return usagef("no subcommand given")
	}
	if args[0] == "help" && len(args) > 1 { // help NAME: NAME -h
		if _, ok := commands[args[1]]; !ok {
			topUsage(stderr)
			return usagef("help: unknown subcommand %q (accepted: %s)", args[1], strings.Join(names(), ", "))
		}
		return run(ctx, append([]string{args[1], "-h"}, args[2:]...), stdout, stderr)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		topUsage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		topUsage(stderr)
		return usagef("unknown subcommand %q (accepted: %s)", args[0], strings.Join(names(), ", "))
	}
	return pointToHelp(args, c.run(ctx, args[1:], stdout, stderr))
}

// pointToHelp gives every usage error of a subcommand the same shape as a flag the flag
// package rejects: "NAME: what was wrong (see dist-example NAME -h)"; any other error but
// a signal's is named after its subcommand too ("NAME: what went wrong").
func pointToHelp(args []string, err error) error {
	var ue usageError
	var sg signalled
	if err == nil || errors.Is(err, flag.ErrHelp) || errors.As(err, &sg) {
		return err
	}
	name := args[0]
	if len(args) > 1 && name == "sweep" && args[1] == "merge" {
		name = "sweep merge"
	}
	msg := err.Error()
	named := strings.HasPrefix(msg, args[0]+":") || strings.HasPrefix(msg, args[0]+" ")
	if !errors.As(err, &ue) {
		if named {
			return err
		}
		// args[0] alone: sweep merge reports a sweep's outcome as the sweep itself does.
		return fmt.Errorf("%s: %w", args[0], err)
	}
	if strings.Contains(msg, "see dist-example") {
		return err
	}
	if !named {
		msg = name + ": " + msg
	}
	return usageError{fmt.Errorf("%s (see dist-example %s -h)", msg, name)}
}

func names() []string {
	var n []string
	for k := range commands {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}

func topUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: dist-example <subcommand> [flags]   (dist-example <subcommand> -h, or dist-example help <subcommand>, for its flags)")
	fmt.Fprintln(w)
	for _, n := range names() {
		fmt.Fprintf(w, "  %-8s %s\n", n, commands[n].summary)
	}
}

// newFlagSet returns a flag set for a subcommand. Its -h prints usage (with examples) and
// the flags to help, which is stdout (so "dist-example sim -h | less" works). The flag
// package's own messages are discarded: parseFlags reports a bad flag in a line or two.
func newFlagSet(name, usage string, help io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(help, strings.TrimLeft(usage, "\n"))
		fmt.Fprintln(help, "\nFlags:")
		printFlags(help, fs)
	}
	return fs
}

// parseFlags parses args. -h prints the help and returns flag.ErrHelp (exit 0); a flag
// the flag package rejects, or a stray argument, is a short usage error (exit 2) naming
// the flag, what it accepts and where the help is.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := parseFlagsThenArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q (all options are flags; see dist-example %s -h)", fs.Name(), fs.Arg(0), fs.Name())
	}
	return nil
}

// parseFlagsThenArgs is parseFlags for a command that takes arguments after its flags
// (fs.Args()).
func parseFlagsThenArgs(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	fs.Usage = func() {} // the flag package calls it on every error; only -h wants it
	err := fs.Parse(args)
	fs.Usage = help
	switch {
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	case err != nil:
		return flagError(fs, err)
	}
	return nil
}

// The flag package's error messages, from which flagError takes the flag's name;
// compiled on the first usage error, not at every start.
var flagPatterns = sync.OnceValue(func() (p struct{ invalid, noArg, undefined *regexp.Regexp }) {
	p.invalid = regexp.MustCompile(`^invalid (?:boolean )?value "(.*)" for (?:flag )?-(\S+): (.*)$`)
	p.noArg = regexp.MustCompile(`^flag needs an argument: -(\S+)$`)
	p.undefined = regexp.MustCompile(`^flag provided but not defined: -(\S+)$`)
	return p
})

// flagError rewrites a flag package error as one line: the flag, the value, what the
// flag accepts and "see dist-example NAME -h".
func flagError(fs *flag.FlagSet, err error) error {
	see := fmt.Sprintf("see dist-example %s -h", fs.Name())
	msg := err.Error()
	pat := flagPatterns()
	if m := pat.invalid.FindStringSubmatch(msg); m != nil {
		why := ""
		if strings.Contains(m[3], "out of range") {
			why = "out of range; "
		}
		return usagef("%s: -%s %q: %swant %s (%s)", fs.Name(), m[2], m[1], why, flagAccepts(fs.Lookup(m[2])), see)
	}
	if m := pat.noArg.FindStringSubmatch(msg); m != nil {
		return usagef("%s: -%s needs a value: %s (%s)", fs.Name(), m[1], flagAccepts(fs.Lookup(m[1])), see)
	}
	if m := pat.undefined.FindStringSubmatch(msg); m != nil {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, "-"+f.Name) })
		return usagef("%s: unknown flag -%s; the flags are %s (%s)", fs.Name(), m[1], strings.Join(names, " "), see)
	}
	return usagef("%s: %v (%s)", fs.Name(), err, see)
}

// flagAccepts says what values a flag takes, from its type and its placeholder.
func flagAccepts(f *flag.Flag) string {
	if f == nil {
		return "a value"
	}
	placeholder := flagPlaceholder(f)
	switch f.Value.(flag.Getter).Get().(type) {
	case time.Duration:
		return "a duration with a unit, e.g. 30s, 10ms, 1h30m or 250us"
	case bool:
		return fmt.Sprintf("true or false, as -%s=false (-%s alone is true)", f.Name, f.Name)
	case uint64, uint:
		return "a whole number " + placeholder + " >= 0"
	case int, int64:
		return "a whole number " + placeholder
	case float64:
		return "a number"
	}
	return placeholder
}

// flagPlaceholder is what -h shows after a flag's name: the usage's `quoted` word, or
// DUR for durations, N for numbers, TEXT for strings.
func flagPlaceholder(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	switch name {
	case "duration":
		return "DUR"
	case "int", "uint":
		return "N"
	case "float":
		return "X"
	case "string", "value":
		return "TEXT"
	}
	return name
}

// printFlags lists the flags as flag.PrintDefaults does, with flagPlaceholder's names.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		_, usage := flag.UnquoteUsage(f)
		line := "  -" + f.Name
		if p := flagPlaceholder(f); p != "" {
			line += " " + p
		}
		if len(line) <= 4 {
			line += "\t"
		} else {
			line += "\n    \t"
		}
		line += strings.ReplaceAll(usage, "\n", "\n    \t")
		switch f.DefValue {
		case "", "0", "0s", "false":
		default:
			if _, isString := f.Value.(flag.Getter).Get().(string); isString {
				line += fmt.Sprintf(" (default %q)", f.DefValue)
			} else {
				line += fmt.Sprintf(" (default %v)", f.DefValue)
			}
		}
		fmt.Fprintln(w, line)
	})
}
