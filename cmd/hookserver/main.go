package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
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
  serve     serve the Metacontroller hooks (default)
  run       run kubechain locally: the hooks driven as Metacontroller would, objects in memory
  fake-llm  serve a deterministic calculator model over the OpenAI API (for demos)

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
	case "run":
		cfg, err := ParseRunFlags(rest, getenv, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		level := slog.LevelWarn
		if cfg.Verbose {
			level = slog.LevelDebug
		}
		return Run(ctx, cfg, stdout, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})))
	case "fake-llm":
		cfg, err := ParseFakeLLMFlags(rest, stderr)
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		if err != nil {
			return err
		}
		return ServeFakeLLM(ctx, cfg, stdout, slog.New(slog.NewTextHandler(stderr, nil)))
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
