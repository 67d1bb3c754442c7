package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/orgd/orgd/internal/org"
)

// errReadOnly is returned by a write method of a View transaction.
var errReadOnly = errors.New("write in a read-only transaction")

// tx implements org.Tx on one pgx transaction.
//
// In PostgreSQL a statement that fails aborts its transaction: every later statement fails
// too. The domain, though, may meet ErrConflict and go on in the same transaction (pick
// another root id, skip an attachment that exists), so the writes that can break a
// uniqueness rule check it in the statement itself (ON CONFLICT DO NOTHING, or NOT EXISTS
// on the unique key) and report a conflict by affecting no row: no error, and the
// transaction goes on. Any other failure is recorded in failed, which decides whether the
// transaction is worth running again.
type tx struct {
	tx       pgx.Tx
	readOnly bool
	failed   error // the first statement that failed in the database
}

var _ org.Tx = (*tx)(nil)

// note records err if the database failed the statement, and returns it.
func (t *tx) note(err error) error {
	var pe *pgconn.PgError
	if t.failed == nil && errors.As(err, &pe) {
		t.failed = err
	}
	return err
}

func (t *tx) writable(what string) error {
	if t.readOnly {
		return fmt.Errorf("postgres: %s: %w", what, errReadOnly)
	}
	return nil
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(ctx, query, args...)
	return tag, t.note(err)
}

// execExpectRow runs a write that names one row, and reports ErrNotFound when it changed
// none: the Store contract's answer for a row that is not there.
func (t *tx) execExpectRow(ctx context.Context, what, query string, args ...any) error {
	if err := t.writable(what); err != nil {
		return err
	}
	tag, err := t.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s: %w", what, org.ErrNotFound)
	}
	return nil
}

// row is a pgx.Row whose failure the transaction notes.
type row struct {
	t *tx
	r pgx.Row
}

func (r row) Scan(dest ...any) error { return r.t.note(r.r.Scan(dest...)) }

func (t *tx) queryRow(ctx context.Context, query string, args ...any) row {
	return row{t: t, r: t.tx.QueryRow(ctx, query, args...)}
}

// scanner is what a scan function reads one row from: pgx.Rows or row.
type scanner = interface{ Scan(...any) error }

// queryAll runs a query and scans each row it returns into a T; the caller wraps the error.
func queryAll[T any](ctx context.Context, t *tx, scan func(scanner, *T) error, query string, args ...any) ([]T, error) {
	rows, err := t.tx.Query(ctx, query, args...)
	if err != nil {
		return nil, t.note(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, t.note(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, t.note(err)
	}
	return out, nil
}

// params collects a statement's arguments; add returns the placeholder of the one it adds.
type params []any

func (p *params) add(v any) string {
	*p = append(*p, v)
	return "$" + strconv.Itoa(len(*p))
}

// and joins conditions, TRUE when there are none.
func and(where []string) string {
	if len(where) == 0 {
		return "TRUE"
	}
	return strings.Join(where, " AND ")
}

// Conversions between Go values and columns.

// msOrNull stores a time as unix milliseconds, the zero time as NULL.
func msOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// fromMS reads a time stored by msOrNull, in UTC.
func fromMS(ms *int64) time.Time {
	if ms == nil {
		return time.Time{}
	}
	return time.UnixMilli(*ms).UTC()
}

// strOrNull stores an empty string as NULL, read back with COALESCE.
func strOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// jsonOrNull stores a slice as a JSON array, an empty one as NULL. The column is TEXT, not
// JSONB: the store only ever reads the whole value back, and TEXT keeps it as written.
func jsonOrNull[T any](v []T) (any, error) {
	if len(v) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func fromJSON[T any](s *string) ([]T, error) {
	if s == nil || *s == "" || *s == "null" {
		return nil, nil
	}
	var v []T
	if err := json.Unmarshal([]byte(*s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// noLimit turns a Limit of zero or less into LIMIT NULL, which is no limit.
func noLimit(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// Settings.

func (t *tx) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := t.queryRow(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("postgres: setting %s: %w", key, org.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("postgres: setting %s: %w", key, err)
	}
	return v, nil
}

func (t *tx) PutSetting(ctx context.Context, key, value string) error {
	if err := t.writable("put setting"); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("postgres: put setting %s: %w", key, err)
	}
	return nil
}

// Accounts.

const accountColumns = `id, email, name, seller, payment_instrument, email_verified,
	COALESCE(org_id, ''), COALESCE(parent_id, ''), COALESCE(joined_method, ''), joined_at, state, closed_at,
	COALESCE(seq, 0)`

func scanAccount(row scanner, a *org.Account) error {
	var joined, closed *int64
	if err := row.Scan(&a.ID, &a.Email, &a.Name, &a.SellerOfRecord, &a.PaymentInstrument, &a.EmailVerified,
		&a.OrgID, &a.ParentID, &a.JoinedMethod, &joined, &a.State, &closed, &a.Seq); err != nil {
		return err
	}
	a.JoinedAt, a.ClosedAt = fromMS(joined), fromMS(closed)
	return nil
}

func (t *tx) Account(ctx context.Context, id string) (*org.Account, error) {
	var a org.Account
	err := scanAccount(t.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id), &a)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: account %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: account %s: %w", id, err)
	}
	return &a, nil
}

// The statements TestQueryPlans checks the plans of.
const (
	accountByEmailQuery = `SELECT ` + accountColumns + ` FROM accounts WHERE email_lower = $1`
	countClosuresQuery  = `SELECT COUNT(*) FROM accounts WHERE org_id = $1 AND closed_at > $2`
)

func (t *tx) AccountByEmail(ctx context.Context, email string) (*org.Account, error) {
	if email == "" {
		return nil, fmt.Errorf("postgres: account by e-mail %q: %w", email, org.ErrNotFound)
	}
	var a org.Account
	err := scanAccount(t.queryRow(ctx, accountByEmailQuery, strings.ToLower(email)), &a)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: account by e-mail %q: %w", email, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: account by e-mail %q: %w", email, err)
	}
	return &a, nil
}

// unnumberedAccountsQuery lists the members without a place in creation order, in the order
// NumberAccounts gives them one.
const unnumberedAccountsQuery = `SELECT id FROM accounts
	WHERE org_id IS NOT NULL AND seq IS NULL ORDER BY org_id, joined_at, id`

// NumberAccounts: see org.Tx. It reads every member once (the moto profile's start-up); the
// numbers come from creation_seq, like those of PutAccount.
func (t *tx) NumberAccounts(ctx context.Context) error {
	if err := t.writable("number accounts"); err != nil {
		return err
	}
	ids, err := queryAll(ctx, t, func(r scanner, id *string) error { return r.Scan(id) }, unnumberedAccountsQuery)
	if err != nil {
		return fmt.Errorf("postgres: number accounts: %w", err)
	}
	for _, id := range ids {
		if _, err := t.exec(ctx, `UPDATE accounts SET seq = nextval('creation_seq') WHERE id = $1`, id); err != nil {
			return fmt.Errorf("postgres: number account %s: %w", id, err)
		}
	}
	return nil
}

// PutAccount upserts the account unless another account holds its e-mail; the statement
// then inserts nothing, which is the conflict. The casts give the SELECT's parameters the
// columns' types, which a VALUES list would have taken from the columns.
func (t *tx) PutAccount(ctx context.Context, a *org.Account) error {
	if err := t.writable("put account " + a.ID); err != nil {
		return err
	}
	// seq: an account that joins an organization (org_id changes) takes the next number of
	// creation_seq when ctx asks for creation order, else it has no place; an account that
	// stays keeps its place (migration 0004).
	var seq *int64
	err := t.queryRow(ctx, `INSERT INTO accounts (id, email, email_lower, name, seller,
			payment_instrument, email_verified, org_id, parent_id, joined_method, joined_at, state, closed_at, seq)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::boolean, $7::boolean, $8::text, $9::text,
			$10::text, $11::bigint, $12::text, $13::bigint,
			CASE WHEN $8::text IS NULL OR NOT $14::boolean THEN NULL ELSE nextval('creation_seq') END
		WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE email_lower = $3 AND id <> $1)
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, email_lower = excluded.email_lower,
			name = excluded.name, seller = excluded.seller,
			payment_instrument = excluded.payment_instrument, email_verified = excluded.email_verified,
			org_id = excluded.org_id, parent_id = excluded.parent_id,
			joined_method = excluded.joined_method, joined_at = excluded.joined_at, state = excluded.state,
			closed_at = excluded.closed_at,
			seq = CASE WHEN accounts.org_id IS NOT DISTINCT FROM excluded.org_id THEN accounts.seq ELSE excluded.seq END
		RETURNING seq`,
		a.ID, a.Email, strOrNull(strings.ToLower(a.Email)), a.Name, a.SellerOfRecord,
		a.PaymentInstrument, a.EmailVerified, strOrNull(a.OrgID), strOrNull(a.ParentID),
		strOrNull(a.JoinedMethod), msOrNull(a.JoinedAt), a.State, msOrNull(a.ClosedAt), org.CreationOrder(ctx)).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: put account %s: e-mail %q is taken: %w", a.ID, a.Email, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("postgres: put account %s: %w", a.ID, err)
	}
	a.Seq = 0
	if seq != nil {
		a.Seq = *seq
	}
	return nil
}

// ListAccounts pages on the primary key (every account) or on accounts_org /
// accounts_org_parent, in creation order on accounts_org_seq / accounts_org_parent_seq; a
// Limit of zero or less means no limit.
func (t *tx) ListAccounts(ctx context.Context, q org.AccountQuery) ([]org.Account, error) {
	query, args := listAccountsQuery(q)
	out, err := queryAll(ctx, t, scanAccount, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: list accounts: %w", err)
	}
	return out, nil
}

func listAccountsQuery(q org.AccountQuery) (string, []any) {
	var p params
	var where []string
	if q.OrgID != "" {
		where = append(where, "org_id = "+p.add(q.OrgID))
	}
	if q.ParentID != "" {
		where = append(where, "parent_id = "+p.add(q.ParentID))
	}
	if q.Order == org.ByCreation {
		where = append(where, "seq > "+p.add(q.AfterSeq))
		return `SELECT ` + accountColumns + ` FROM accounts WHERE ` + and(where) +
			` ORDER BY seq LIMIT ` + p.add(noLimit(q.Limit)), p
	}
	where = append(where, "id > "+p.add(q.AfterID))
	return `SELECT ` + accountColumns + ` FROM accounts WHERE ` + and(where) +
		` ORDER BY id LIMIT ` + p.add(noLimit(q.Limit)), p
}

// DeleteAccount: see org.Tx. A trigger keeps the organization's member count (migration
// 0002).
func (t *tx) DeleteAccount(ctx context.Context, id string) error {
	return t.execExpectRow(ctx, "delete account "+id, `DELETE FROM accounts WHERE id = $1`, id)
}

// CountAccounts counts the organization's accounts; orgID "" counts every account.
func (t *tx) CountAccounts(ctx context.Context, orgID string) (int, error) {
	var n int
	var err error
	if orgID == "" {
		err = t.queryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	} else {
		// Triggers keep the count (migration 0002).
		err = t.queryRow(ctx, `SELECT members FROM organizations WHERE id = $1`, orgID).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			n, err = 0, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: count accounts of %q: %w", orgID, err)
	}
	return n, nil
}

// CountClosures counts the organization's accounts whose closure was requested after since.
func (t *tx) CountClosures(ctx context.Context, orgID string, since time.Time) (int, error) {
	var n int
	err := t.queryRow(ctx, countClosuresQuery, orgID, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: count closures of %s: %w", orgID, err)
	}
	return n, nil
}

// Organizations.

func (t *tx) Organization(ctx context.Context, id string) (*org.Organization, error) {
	var o org.Organization
	var created *int64
	err := t.queryRow(ctx, `SELECT id, feature_set, management_account_id, root_id, partition, created_at, scp_version
		FROM organizations WHERE id = $1`, id).Scan(&o.ID, &o.FeatureSet, &o.ManagementAccountID, &o.RootID, &o.Partition, &created, &o.SCPVersion)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: organization %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: organization %s: %w", id, err)
	}
	o.CreatedAt = fromMS(created)
	return &o, nil
}

// ListOrganizations pages on the primary key.
func (t *tx) ListOrganizations(ctx context.Context, afterID string, limit int) ([]org.Organization, error) {
	out, err := queryAll(ctx, t, func(r scanner, o *org.Organization) error {
		var created *int64
		err := r.Scan(&o.ID, &o.FeatureSet, &o.ManagementAccountID, &o.RootID, &o.Partition, &created, &o.SCPVersion)
		o.CreatedAt = fromMS(created)
		return err
	}, `SELECT id, feature_set, management_account_id, root_id, partition, created_at, scp_version
		FROM organizations WHERE id > $1 ORDER BY id LIMIT $2`, afterID, noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: list organizations: %w", err)
	}
	return out, nil
}

// PutOrganization upserts the organization unless another holds its root id. The counters
// of migration 0002 are not among the columns it sets: a replaced organization keeps them.
func (t *tx) PutOrganization(ctx context.Context, o *org.Organization) error {
	if err := t.writable("put organization " + o.ID); err != nil {
		return err
	}
	tag, err := t.exec(ctx, `INSERT INTO organizations (id, feature_set, management_account_id, root_id, partition, created_at, scp_version)
		SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::bigint, $7::bigint
		WHERE NOT EXISTS (SELECT 1 FROM organizations WHERE root_id = $4 AND id <> $1)
		ON CONFLICT (id) DO UPDATE SET feature_set = excluded.feature_set,
			management_account_id = excluded.management_account_id, root_id = excluded.root_id,
			partition = excluded.partition, created_at = excluded.created_at, scp_version = excluded.scp_version`,
		o.ID, o.FeatureSet, o.ManagementAccountID, o.RootID, o.Partition, msOrNull(o.CreatedAt), o.SCPVersion)
	if err != nil {
		return fmt.Errorf("postgres: put organization %s: %w", o.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: put organization %s: root id %s is taken: %w", o.ID, o.RootID, org.ErrConflict)
	}
	return nil
}

func (t *tx) DeleteOrganization(ctx context.Context, id string) error {
	return t.execExpectRow(ctx, "delete organization "+id, `DELETE FROM organizations WHERE id = $1`, id)
}

// Tags.

// Tags reads the resource's tags on the primary key; in creation order it sorts them, at
// most 50.
func (t *tx) Tags(ctx context.Context, resourceID string, order org.ListOrder) ([]org.Tag, error) {
	orderBy := "key"
	if order == org.ByCreation {
		orderBy = "seq"
	}
	out, err := queryAll(ctx, t, func(r scanner, tag *org.Tag) error {
		return r.Scan(&tag.Key, &tag.Value)
	}, `SELECT key, value FROM tags WHERE resource_id = $1 ORDER BY `+orderBy, resourceID)
	if err != nil {
		return nil, fmt.Errorf("postgres: tags of %s: %w", resourceID, err)
	}
	return out, nil
}

func (t *tx) CountTags(ctx context.Context, resourceID string) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT COUNT(*) FROM tags WHERE resource_id = $1`, resourceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count tags of %s: %w", resourceID, err)
	}
	return n, nil
}

// PutTags sends one upsert per tag in one round trip; a new key takes seq's default (the
// next number of creation_seq, migration 0004), a new value keeps it. One statement for them all would fail
// on a key given twice, which one upsert after another lets the last value win.
func (t *tx) PutTags(ctx context.Context, resourceID string, tags []org.Tag) error {
	if err := t.writable("put tags of " + resourceID); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, tag := range tags {
		b.Queue(`INSERT INTO tags (resource_id, key, value) VALUES ($1, $2, $3)
			ON CONFLICT (resource_id, key) DO UPDATE SET value = excluded.value`, resourceID, tag.Key, tag.Value)
	}
	br := t.tx.SendBatch(ctx, b)
	for _, tag := range tags {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return fmt.Errorf("postgres: put tag %q of %s: %w", tag.Key, resourceID, t.note(err))
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("postgres: put tags of %s: %w", resourceID, t.note(err))
	}
	return nil
}

func (t *tx) DeleteTags(ctx context.Context, resourceID string, keys []string) error {
	if err := t.writable("delete tags of " + resourceID); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	if _, err := t.exec(ctx, `DELETE FROM tags WHERE resource_id = $1 AND key = ANY($2)`, resourceID, keys); err != nil {
		return fmt.Errorf("postgres: delete tags of %s: %w", resourceID, err)
	}
	return nil
}

func (t *tx) DeleteAllTags(ctx context.Context, resourceID string) error {
	if err := t.writable("delete tags of " + resourceID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM tags WHERE resource_id = $1`, resourceID); err != nil {
		return fmt.Errorf("postgres: delete tags of %s: %w", resourceID, err)
	}
	return nil
}

// Outbox.

func (t *tx) AddOutbox(ctx context.Context, m *org.OutboxMessage) error {
	if err := t.writable("add outbox message"); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO outbox (handshake_id, recipient, subject, body, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING seq`,
		m.HandshakeID, m.To, m.Subject, m.Body, msOrNull(m.CreatedAt)).Scan(&m.Seq)
	if err != nil {
		return fmt.Errorf("postgres: add outbox message to %s: %w", m.To, err)
	}
	m.Delivery = org.Delivery{State: org.MailPending}
	return nil
}

// outboxColumns are the columns scanOutbox reads, in its order.
const outboxColumns = `seq, handshake_id, recipient, subject, body, created_at, sent_at,
	state, attempts, next_attempt_at, last_answer`

func scanOutbox(r scanner, m *org.OutboxMessage) error {
	var created, sent *int64
	var next int64
	if err := r.Scan(&m.Seq, &m.HandshakeID, &m.To, &m.Subject, &m.Body, &created, &sent,
		&m.State, &m.Attempts, &next, &m.LastAnswer); err != nil {
		return err
	}
	m.CreatedAt, m.SentAt, m.NextAttemptAt = fromMS(created), fromMS(sent), fromMSOrZero(next)
	return nil
}

// fromMSOrZero reads a NOT NULL time column whose 0 stands for the zero time.
func fromMSOrZero(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// ListOutbox returns messages after afterSeq; a limit of zero or less means no limit.
func (t *tx) ListOutbox(ctx context.Context, afterSeq int64, limit int) ([]org.OutboxMessage, error) {
	out, err := queryAll(ctx, t, scanOutbox, `SELECT `+outboxColumns+`
		FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2`, afterSeq, noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: list outbox: %w", err)
	}
	return out, nil
}

func (t *tx) ClaimOutbox(ctx context.Context, now, until time.Time, limit int) ([]org.OutboxMessage, error) {
	if err := t.writable("claim outbox messages"); err != nil {
		return nil, err
	}
	// One statement reads and moves the due messages, so that a concurrent claim either
	// sees them moved or conflicts with this one.
	out, err := queryAll(ctx, t, scanOutbox, `UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1
		WHERE seq IN (SELECT seq FROM outbox WHERE state = 'pending' AND next_attempt_at <= $2 ORDER BY next_attempt_at, seq LIMIT $3)
		RETURNING `+outboxColumns, until.UnixMilli(), now.UnixMilli(), noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("postgres: claim outbox messages: %w", err)
	}
	// RETURNING's order is unspecified.
	slices.SortFunc(out, func(a, b org.OutboxMessage) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (t *tx) SetDelivery(ctx context.Context, seq int64, d org.Delivery) error {
	var next int64
	if !d.NextAttemptAt.IsZero() {
		next = d.NextAttemptAt.UnixMilli()
	}
	return t.execExpectRow(ctx, fmt.Sprintf("set delivery of outbox message %d", seq),
		`UPDATE outbox SET state = $1, attempts = $2, next_attempt_at = $3, last_answer = $4, sent_at = $5 WHERE seq = $6`,
		d.State, d.Attempts, next, d.LastAnswer, msOrNull(d.SentAt), seq)
}

// Reset.

// resetTables are the tables Reset empties: all but schema_migrations. Organizations come
// first, so that the counter triggers of the accounts and handshakes deleted after find no
// row to update.
var resetTables = [...]string{"organizations", "settings", "accounts", "ous", "create_account_requests",
	"handshakes", "tags", "outbox", "policies", "policy_attachments", "policy_types",
	"service_access", "delegated_admins", "resource_policies", "transfers", "roles", "sessions"}

// Reset empties every table but schema_migrations. It deletes rather than truncates: DELETE
// keeps the identity sequences, so handshake and outbox sequence numbers never repeat, and
// it is transactional like any write, where TRUNCATE would lock every table exclusively and
// show concurrent snapshots empty tables.
func (t *tx) Reset(ctx context.Context) error {
	if err := t.writable("reset"); err != nil {
		return err
	}
	for _, table := range resetTables {
		if _, err := t.exec(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("postgres: reset %s: %w", table, err)
		}
	}
	return nil
}
