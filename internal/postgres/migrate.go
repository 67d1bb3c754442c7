package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/orgd/orgd/internal/migration"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations returns the embedded migrations ordered by version.
func migrations() ([]migration.Migration, error) {
	return migration.Load(migrationFiles, "migrations")
}

// migrationLock is the key of the advisory lock under which a Store migrates: replicas that
// start together take turns, and each finds the work of those before it done. It is "orgd"
// in ASCII, then the schema's lock number, 1.
const migrationLock int64 = 0x6f726764_00000001

// migrate applies, each in its own transaction, the migrations the database lacks. It holds
// the advisory lock on one connection throughout: the lock is the session's, so it lasts
// across the transactions and goes with the connection if the process dies.
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	c, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: migrate: take the migration lock: %w", err)
	}
	defer func() {
		if _, uerr := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock); uerr != nil {
			// The connection is in doubt: close it, which releases the lock, rather than
			// give it back to the pool holding it.
			c.Conn().Close(context.WithoutCancel(ctx))
			err = errors.Join(err, fmt.Errorf("postgres: migrate: release the migration lock: %w", uerr))
		}
	}()
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at BIGINT NOT NULL
	)`); err != nil {
		return fmt.Errorf("postgres: create schema_migrations: %w", err)
	}
	var latest int
	if err := c.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&latest); err != nil {
		return fmt.Errorf("postgres: read schema version: %w", err)
	}
	if latest > len(ms) {
		return fmt.Errorf("postgres: database schema version %d is newer than this program's %d", latest, len(ms))
	}
	for _, m := range ms[latest:] {
		if err := apply(ctx, c.Conn(), m); err != nil {
			return fmt.Errorf("postgres: migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// apply runs one migration and records it, in one transaction: PostgreSQL's DDL is
// transactional, so a migration that fails leaves nothing behind.
func apply(ctx context.Context, c *pgx.Conn, m migration.Migration) error {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// A migration file holds several statements: the simple protocol runs them as one.
	if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
		m.Version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
