package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hookserver:", err)
		os.Exit(1)
	}
}

// usage lists the subcommands.
const usage = `usage: hookserver [command] [flags]

commands:
  serve   serve the Metacontroller hooks (default)

Run 'hookserver <command> -h' for the command's flags.
`

// run executes one subcommand until it finishes or ctx is cancelled (SIGTERM,
// SIGINT). getenv supplies flag defaults; logs go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		cfg, err := ParseServeFlags(rest, getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		return Serve(ctx, cfg, newLogger(cfg, stderr))
	// New subcommands go here, e.g. "run" (the local runner) and "fake-llm".
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
