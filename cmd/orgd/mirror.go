package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/orgd/orgd/internal/mirror"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/snapshot"
)

// mirror reads an organization through the Organizations API (a real one with the usual
// AWS credentials, or another orgd with --from-endpoint) and writes it into the orgd at
// --endpoint, into a database with --db, or into a snapshot file with --out.
func (m *Main) mirror(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("mirror", flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	cf := addClientFlags(fs)
	from := fs.String("from-endpoint", "", "URL of the Organizations API to read (default: AWS's own, for the region's partition)")
	profile := fs.String("profile", "", "AWS shared configuration profile to read with (default: AWS_PROFILE, else the default credential chain)")
	region := fs.String("region", "", "AWS region, which picks the partition's endpoint (default: the profile's or AWS_REGION, else us-east-1)")
	perSecond := fs.Float64("rate", 0, "requests a second for every call (default 0: each operation at AWS's throttling quota for it, e.g. ListTagsForResource 10/s, DescribePolicy 2/s)")
	db := fs.String("db", "", "write into this SQLite database file or postgres:// URL directly, instead of the orgd at --endpoint (no server may run on it)")
	out := fs.String("out", "", "write the organization as a snapshot document to this file, and nowhere else")
	if err := m.parseFlagsOnly(fs, args); err != nil {
		return err
	}
	if *out != "" && *db != "" {
		return &UsageError{Command: "mirror", Err: fmt.Errorf("--out and --db name two destinations: give one")}
	}

	// The destination must be empty, as an import requires: an empty document's import asks
	// exactly that and writes nothing, and costs nothing, unlike reading a large
	// organization for a destination that then refuses it.
	empty := &snapshot.Document{Format: snapshot.Format, Version: snapshot.Version}
	var dest string
	var write func(*snapshot.Document) error
	switch {
	case *out != "":
		dest = *out
		write = func(doc *snapshot.Document) error {
			raw, err := snapshot.Marshal(doc)
			if err != nil {
				return err
			}
			return writeSnapshot(*out, raw)
		}
	case *db != "":
		store, err := server.OpenStore(ctx, *db)
		if err != nil {
			return err
		}
		defer store.Close()
		dest = redacted(*db)
		if err := snapshot.Import(ctx, store, empty, snapshot.Options{}); err != nil {
			return fmt.Errorf("mirror into %s: %w", dest, err)
		}
		write = func(doc *snapshot.Document) error { return snapshot.Import(ctx, store, doc, snapshot.Options{}) }
	default:
		dest = *cf.endpoint
		if _, err := m.send(ctx, cf, http.MethodPost, "/_orgd/import", empty); err != nil {
			return fmt.Errorf("mirror into %s: %w", dest, err)
		}
		write = func(doc *snapshot.Document) error {
			_, err := m.send(ctx, cf, http.MethodPost, "/_orgd/import", doc)
			return err
		}
	}
	return m.runMirror(ctx, *from, *profile, *region, *perSecond, dest, write)
}

// runMirror reads the organization and hands it to write, showing its progress.
func (m *Main) runMirror(ctx context.Context, from, profile, region string, perSecond float64, dest string, write func(*snapshot.Document) error) error {
	var opts []func(*config.LoadOptions) error
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return fmt.Errorf("mirror: AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		// Organizations is a global service hosted in us-east-1 (spec §1): any region of the
		// commercial partition reaches it.
		cfg.Region = "us-east-1"
	}
	// Without credentials every call would fail the same way, after the SDK's chain has tried
	// each source in turn (an EC2 instance's metadata service last, with its own warning):
	// say so once, before the first call, naming where credentials come from.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("mirror: no AWS credentials to read the organization with (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, --profile or AWS_PROFILE in ~/.aws/config, SSO, an instance role): %w", err)
	}
	mr, err := mirror.New(mirror.Source{AWS: cfg, Endpoint: from, Rate: perSecond})
	if err != nil {
		return err
	}
	bar := &mirrorBar{w: m.Stderr, on: isTerminal(m.Stderr), start: time.Now()}
	doc, err := mr.Read(ctx, mirror.Options{Progress: bar.report})
	bar.end()
	if err != nil {
		return err
	}
	if err := write(doc); err != nil {
		return fmt.Errorf("mirror into %s: %w", dest, err)
	}
	o := doc.Organizations[0]
	fmt.Fprintf(m.Stdout, "mirrored organization %s (%d accounts, %d OUs, %d policies) into %s\n",
		o.ID, len(o.Accounts), len(o.OUs), len(o.Policies), dest)
	return nil
}

// mirrorBar shows a mirror's progress: on a terminal a line redrawn in place, with a bar and
// an estimate of the time left once the reads to make are known; elsewhere (a log, CI) a
// line per phase.
type mirrorBar struct {
	w                   io.Writer
	on                  bool
	start, last, detail time.Time
	phase               string
	drawn               bool
}

func (b *mirrorBar) report(p mirror.Progress) {
	now := time.Now()
	changed := p.Phase != b.phase
	b.phase = p.Phase
	if p.Phase == "details" && changed {
		b.detail = now
	}
	found := fmt.Sprintf("%d accounts, %d OUs, %d policies", p.Accounts, p.OUs, p.Policies)
	calls := fmt.Sprintf("%d calls, %.1f/s", p.Calls, float64(p.Calls)/max(now.Sub(b.start).Seconds(), 1e-3))
	if !b.on {
		if !changed {
			return
		}
		switch p.Phase {
		case "details":
			fmt.Fprintf(b.w, "mirror: details: %d reads (tags, policy contents, attachments) after %s, %s\n", p.Total, found, calls)
		case "done":
			fmt.Fprintf(b.w, "mirror: done: %s, %s in %s\n", found, calls, now.Sub(b.start).Round(time.Millisecond))
		default:
			fmt.Fprintf(b.w, "mirror: %s\n", p.Phase)
		}
		return
	}
	if !changed && now.Sub(b.last) < 100*time.Millisecond && p.Done != p.Total {
		return
	}
	b.last, b.drawn = now, true
	line := fmt.Sprintf("mirror %s: %s, %s", p.Phase, found, calls)
	if p.Phase == "details" && p.Total > 0 {
		const width = 20
		filled := p.Done * width / p.Total
		line = fmt.Sprintf("mirror [%s%s] %d/%d reads, %s, %s", strings.Repeat("#", filled), strings.Repeat("-", width-filled), p.Done, p.Total, found, calls)
		if p.Done > 0 {
			left := time.Duration(float64(now.Sub(b.detail)) / float64(p.Done) * float64(p.Total-p.Done))
			line += ", ETA " + left.Round(time.Second).String()
		}
	}
	// Padded, so that a shorter line covers a longer one drawn before.
	fmt.Fprintf(b.w, "\r%-120s", line)
}

func (b *mirrorBar) end() {
	if b.on && b.drawn {
		fmt.Fprintln(b.w)
	}
}
