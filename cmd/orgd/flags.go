package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// UsageError is a command line orgd cannot parse: main exits 2 on it, as flag's own
// ExitOnError does, after one line saying what is wrong and a short usage.
type UsageError struct {
	Command string
	Err     error
}

func (e *UsageError) Error() string {
	return fmt.Sprintf("%s: %v\nusage: orgd %s [flags]   (\"orgd %s -h\" lists the flags)", e.Command, e.Err, e.Command, e.Command)
}

func (e *UsageError) Unwrap() error { return e.Err }

// parseFlags parses a command's flags. -h prints the flags on standard output and returns
// flag.ErrHelp, which Run answers with success; a flag it cannot parse is a UsageError.
// The flag package would print the whole flag list after the error, and main the error
// again: here it prints nothing itself.
func (m *Main) parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(m.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(m.Stdout, "usage: orgd %s [flags]\n\nflags:\n", fs.Name())
		fs.SetOutput(m.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(m.Stderr)
		return flag.ErrHelp
	}
	if err != nil {
		return &UsageError{Command: fs.Name(), Err: err}
	}
	return nil
}

// parseFlagsOnly is parseFlags for a command that takes flags and no arguments. Flags stop
// at the first word that is not one; a word left over was meant for something else
// ("accounts --endpoint URL add ..." would otherwise list the accounts and ignore "add").
func (m *Main) parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, only flags: %q", fs.Name(), fs.Args())
	}
	return nil
}

// parseServeFlags is parseFlags for serve, whose every flag may also come from the
// environment: ORGD_ and the flag's name upper-cased, "-" made "_" (ORGD_LISTEN, ORGD_DB,
// ORGD_ADMIN_TOKEN). A flag on the command line wins over its variable. Containers and
// service managers configure by environment; one rule covers every flag, those to come too.
func (m *Main) parseServeFlags(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) { f.Usage += " (env " + envName(f.Name) + ")" })
	if err := m.parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if !ok || set[f.Name] {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, err))
		}
	})
	if err := errors.Join(errs...); err != nil {
		return &UsageError{Command: fs.Name(), Err: err}
	}
	return nil
}

// envName is the environment variable of a serve flag.
func envName(flagName string) string {
	return "ORGD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// version is orgd's version, stamped at build: go build -ldflags "-X main.version=v1.2.3".
var version string

// Version is the stamped version, else the module's version when orgd was installed with
// go install MODULE@VERSION, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "devel"
}
