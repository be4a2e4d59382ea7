// Command rebond is the delivery-status platform's single binary: `serve`
// runs the pipeline (HTTP API, NATS bridge, Asynq workers, scheduler),
// `migrate` upgrades the database, `rates` prints rejection rates, and
// `version` says which build this is. `rebond help <command>` explains each.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/rebond/rebond/channels"
	"github.com/rebond/rebond/cmd/internal/process"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd(os.Stdout, os.Stderr)
	if cmd, _, err := root.Find(os.Args[1:]); err == nil && cmd.Annotations[runtimeAnnotation] == runtimeBatch {
		process.TuneBatch()
	}
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "rebond:", err)
		os.Exit(1)
	}
}

// runtimeAnnotation marks a command whose process main tunes for its kind
// of run; runtimeBatch is a short batch that allocates fast
// (process.TuneBatch). main reads it before the command runs because these
// settings belong to the process: set and restored by each run, they
// would race when tests run commands in parallel in one process.
const (
	runtimeAnnotation = "rebond.runtime"
	runtimeBatch      = "batch"
)

// globals are the flags every command shares.
type globals struct {
	configPath string
	// tenant is whose data the command reads and changes (--tenant).
	tenant string
	stdout io.Writer
	stderr io.Writer
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "rebond",
		Short: "Delivery-status platform for email and SMS: bounces and receipts in, verdicts, exclusions and rates out",
		Long: `rebond ingests delivery facts (SMTP replies, bounce mails, ESP webhooks, SMPP and
HTTP delivery receipts), classifies them with versioned rules, keeps every
recipient's state (quarantined, suspended, active) and reports soft and hard
rejection rates per campaign.

Configuration: the embedded defaults (configs/rebond.yaml), then --config FILE
(or REBOND_CONFIG=FILE), then REBOND_* environment variables (REBOND_DATABASE_URL, REBOND_REDIS_URL,
REBOND_NATS_URL, REBOND_HTTP_ADDR, REBOND_DATA_DIR, REBOND_ADMIN_TOKEN, ...);
a map takes YAML or JSON (REBOND_WEBHOOKS='{kannel: {provider: kannel}}'), and
each key of a named webhook its own variable (REBOND_WEBHOOKS_KANNEL_TOKEN).
rebond config prints the result and where each value was set.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// REBOND_CONFIG names the file where a flag cannot be passed (make run
	// CONFIG=..., a container's environment); --config wins over it.
	root.PersistentFlags().StringVar(&g.configPath, "config", os.Getenv("REBOND_CONFIG"), "YAML file overriding the embedded defaults (env REBOND_CONFIG)")
	root.PersistentFlags().StringVar(&g.tenant, "tenant", channels.DefaultTenant, "the tenant whose data a command reads and changes (rates, rules, qualify, replay; bench: default bench)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if !channels.ValidTenant(g.tenant) {
			return fmt.Errorf("--tenant: %q is not a tenant name (1 to 63 of a-z, 0-9, '-', '_')", g.tenant)
		}
		cmd.SetContext(channels.WithTenant(cmd.Context(), g.tenant))
		return nil
	}
	root.AddCommand(newServeCmd(g), newMigrateCmd(g), newRatesCmd(g), newVersionCmd(g), newConfigCmd(g), newBenchCmd(g), newClassifyCmd(g),
		newRulesCmd(g), newQualifyCmd(g), newTokensCmd(g), newReplayCmd(g), newConsentCmd(g))
	return root
}

// load reads the configuration and builds the logger.
func (g *globals) load() (Config, *slog.Logger, error) {
	cfg, err := LoadConfig(g.configPath, os.Getenv)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, newLogger(g.stderr, cfg), nil
}

func newLogger(w io.Writer, cfg Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rebond's version and the event schema version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(g.stdout, "rebond %s (event schema %d)\n", version, schemaVersion())
			return nil
		},
	}
}
