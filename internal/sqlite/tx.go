package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/orgd/orgd/internal/org"
)

// errReadOnly is returned by a write method of a View transaction.
var errReadOnly = errors.New("write in a read-only transaction")

// tx implements org.Tx on a pinned connection inside BEGIN ... COMMIT.
type tx struct {
	c        *conn
	readOnly bool
	cache    cached
	// settings holds every setting as of the transaction's start when the store caches rows.
	// A View's map is the cache's, shared; a write transaction's is its own copy.
	settings map[string]string
	// A View that began on the cache alone has no connection until its first statement:
	// pool is where it takes one (see start), and moved records that the snapshot it then
	// took no longer matched the cached rows it had already read.
	pool  pool
	moved bool
}

// errMoved fails the statement of a View whose snapshot moved; the View runs again.
var errMoved = errors.New("snapshot moved past the cached rows already read")

// stmt returns the prepared statement of query on the transaction's connection, starting
// the transaction first if it has none yet.
func (t *tx) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if t.c == nil {
		if err := t.start(ctx); err != nil {
			return nil, err
		}
	}
	return t.c.stmt(ctx, query)
}

// start begins the SQL transaction of a View that has read only cached rows so far and takes
// its snapshot. If a commit began after the View did, the snapshot is newer than the cache
// the View started on: from then on it reads the database only, and if it has already
// answered a read from the cache, its reads would mix two states, so it fails with errMoved
// and view runs it again.
func (t *tx) start(ctx context.Context) error {
	if t.moved {
		return errMoved
	}
	c, err := t.pool.get(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	t.c = c
	if err := c.begin(ctx, false); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := c.snapshot(ctx); err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if t.cache.c.load() != t.cache.seq {
		t.cache.ok = false
		if t.cache.served {
			t.moved = true
			return errMoved
		}
	}
	return nil
}

// end ends a lazily started View's transaction and gives its connection back.
func (t *tx) end() {
	if t.pool != nil && t.c != nil {
		t.pool.put(t.c, !t.c.rollback())
		t.c = nil
	}
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// execExpectRow runs a write that names one row, and reports ErrNotFound when it changed
// none: the Store contract's answer for a row that is not there.
func (t *tx) execExpectRow(ctx context.Context, what, query string, args ...any) error {
	if err := t.writable(what); err != nil {
		return err
	}
	res, err := t.exec(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: %s: %w", what, org.ErrNotFound)
	}
	return nil
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// row is a *sql.Row that can also carry a prepare error.
type row struct {
	r   *sql.Row
	err error
}

func (r row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	return r.r.Scan(dest...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) row {
	st, err := t.stmt(ctx, query)
	if err != nil {
		return row{err: err}
	}
	return row{r: st.QueryRowContext(ctx, args...)}
}

// scanner is what a scan function reads one row from: *sql.Rows or row.
type scanner = interface{ Scan(...any) error }

// queryAll runs a query and scans each row it returns into a T; the caller wraps the error.
func queryAll[T any](ctx context.Context, t *tx, scan func(scanner, *T) error, query string, args ...any) ([]T, error) {
	rows, err := t.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// queryIDs runs query, which selects one id column in id order, and returns the ids in that
// order. SQLite joins them into one value: a row through database/sql costs more than the
// index walk that finds it, and a page is then one row instead of twenty. group_concat does
// not promise to keep the subquery's order (its ORDER BY clause would, at the cost of a
// sort), so the ids are sorted after: the set is the one the query's LIMIT chose. Ids never
// hold a comma.
func queryIDs(ctx context.Context, t *tx, query string, args ...any) ([]string, error) {
	var joined sql.NullString
	if err := t.queryRow(ctx, `SELECT group_concat(id, ',') FROM (`+query+`)`, args...).Scan(&joined); err != nil {
		return nil, err
	}
	if !joined.Valid {
		return nil, nil
	}
	ids := strings.Split(joined.String, ",")
	slices.Sort(ids)
	return ids, nil
}

var _ org.Tx = (*tx)(nil)

func (t *tx) writable(what string) error {
	if t.readOnly {
		return fmt.Errorf("sqlite: %s: %w", what, errReadOnly)
	}
	return nil
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
func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}

// strOrNull stores an empty string as NULL, read back with COALESCE.
func strOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// jsonOrNull stores a slice as a JSON array, an empty one as NULL.
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

func fromJSON[T any](s sql.NullString) ([]T, error) {
	if !s.Valid || s.String == "" || s.String == "null" {
		return nil, nil
	}
	var v []T
	if err := json.Unmarshal([]byte(s.String), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// noLimit turns a Limit of zero or less into SQLite's "no limit".
func noLimit(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// Settings.

func (t *tx) Setting(ctx context.Context, key string) (string, error) {
	if t.settings != nil {
		v, ok := t.settings[key]
		if !ok {
			return "", fmt.Errorf("sqlite: setting %s: %w", key, org.ErrNotFound)
		}
		return v, nil
	}
	var v string
	err := t.queryRow(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: setting %s: %w", key, org.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("sqlite: setting %s: %w", key, err)
	}
	return v, nil
}

func (t *tx) PutSetting(ctx context.Context, key, value string) error {
	if err := t.writable("put setting"); err != nil {
		return err
	}
	t.changed(kindSetting, "")
	_, err := t.exec(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err == nil && t.settings != nil {
		t.settings[key] = value
	}
	if err != nil {
		return fmt.Errorf("sqlite: put setting %s: %w", key, err)
	}
	return nil
}

// Accounts.

const accountColumns = `id, email, name, seller, payment_instrument, email_verified,
	COALESCE(org_id, ''), COALESCE(parent_id, ''), COALESCE(joined_method, ''), joined_at, state, closed_at,
	COALESCE(seq, 0)`

func scanAccount(row scanner, a *org.Account) error {
	var joined, closed sql.NullInt64
	var pay, verified int
	if err := row.Scan(&a.ID, &a.Email, &a.Name, &a.SellerOfRecord, &pay, &verified,
		&a.OrgID, &a.ParentID, &a.JoinedMethod, &joined, &a.State, &closed, &a.Seq); err != nil {
		return err
	}
	a.PaymentInstrument, a.EmailVerified = pay != 0, verified != 0
	a.JoinedAt, a.ClosedAt = fromMS(joined), fromMS(closed)
	return nil
}

func (t *tx) Account(ctx context.Context, id string) (*org.Account, error) {
	cacheable := t.usable(kindAccount, id)
	if cacheable {
		if a, ok := hit(t, t.cache.c.accounts, id); ok {
			return &a, nil
		}
	}
	var a org.Account
	err := scanAccount(t.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id), &a)
	if err == nil && cacheable {
		put(t.cache.c, t.cache.seq, t.cache.c.accounts, id, a)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: account %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: account %s: %w", id, err)
	}
	return &a, nil
}

// The statements TestQueryPlans checks the plans of.
const (
	accountByEmailQuery = `SELECT ` + accountColumns + ` FROM accounts WHERE email_lower = ?`
	countClosuresQuery  = `SELECT COUNT(*) FROM accounts WHERE org_id = ? AND closed_at > ?`
)

func (t *tx) AccountByEmail(ctx context.Context, email string) (*org.Account, error) {
	if email == "" {
		return nil, fmt.Errorf("sqlite: account by e-mail %q: %w", email, org.ErrNotFound)
	}
	var a org.Account
	err := scanAccount(t.queryRow(ctx, accountByEmailQuery, strings.ToLower(email)), &a)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: account by e-mail %q: %w", email, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: account by e-mail %q: %w", email, err)
	}
	return &a, nil
}

// unnumberedAccountsQuery lists the members without a place in creation order, in the order
// NumberAccounts gives them one.
const unnumberedAccountsQuery = `SELECT id, org_id FROM accounts
	WHERE org_id IS NOT NULL AND seq IS NULL ORDER BY org_id, joined_at, id`

// NumberAccounts: see org.Tx. It reads every member once (the moto profile's start-up).
func (t *tx) NumberAccounts(ctx context.Context) error {
	if err := t.writable("number accounts"); err != nil {
		return err
	}
	rows, err := t.query(ctx, unnumberedAccountsQuery)
	if err != nil {
		return fmt.Errorf("sqlite: number accounts: %w", err)
	}
	var ids, orgs []string
	for rows.Next() {
		var id, orgID string
		if err := rows.Scan(&id, &orgID); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: number accounts: %w", err)
		}
		ids, orgs = append(ids, id), append(orgs, orgID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: number accounts: %w", err)
	}
	for i, id := range ids {
		t.changed(kindAccount, id)
		if _, err := t.exec(ctx, `UPDATE accounts SET seq = (`+nextAccountSeqQuery+`) WHERE id = ?`, orgs[i], id); err != nil {
			return fmt.Errorf("sqlite: number account %s: %w", id, err)
		}
	}
	return nil
}

func (t *tx) PutAccount(ctx context.Context, a *org.Account) error {
	if err := t.writable("put account " + a.ID); err != nil {
		return err
	}
	t.changed(kindAccount, a.ID)
	// seq: an account that joins an organization (org_id changes) comes after every account
	// already in it (accounts_org_seq finds the largest) when ctx asks for creation order,
	// else it has no place; an account that stays keeps its place.
	var seq sql.NullInt64
	var numbered any
	if a.OrgID != "" && org.CreationOrder(ctx) {
		numbered = a.OrgID
	}
	err := t.queryRow(ctx, `INSERT INTO accounts (id, email, email_lower, name, seller,
			payment_instrument, email_verified, org_id, parent_id, joined_method, joined_at, state, closed_at, seq)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
			CASE WHEN ? IS NULL THEN NULL ELSE (`+nextAccountSeqQuery+`) END)
		ON CONFLICT (id) DO UPDATE SET email = excluded.email, email_lower = excluded.email_lower,
			name = excluded.name, seller = excluded.seller,
			payment_instrument = excluded.payment_instrument, email_verified = excluded.email_verified,
			org_id = excluded.org_id, parent_id = excluded.parent_id,
			joined_method = excluded.joined_method, joined_at = excluded.joined_at, state = excluded.state,
			closed_at = excluded.closed_at,
			seq = CASE WHEN accounts.org_id IS excluded.org_id THEN accounts.seq ELSE excluded.seq END
		RETURNING seq`,
		a.ID, a.Email, strOrNull(strings.ToLower(a.Email)), a.Name, a.SellerOfRecord,
		boolInt(a.PaymentInstrument), boolInt(a.EmailVerified), strOrNull(a.OrgID), strOrNull(a.ParentID),
		strOrNull(a.JoinedMethod), msOrNull(a.JoinedAt), a.State, msOrNull(a.ClosedAt),
		numbered, strOrNull(a.OrgID)).Scan(&seq)
	a.Seq = seq.Int64
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: put account %s: e-mail %q is taken: %w", a.ID, a.Email, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put account %s: %w", a.ID, err)
	}
	return nil
}

// DeleteAccount: see org.Tx. The accounts_delete trigger (migration 0007) keeps the
// organization's member count.
func (t *tx) DeleteAccount(ctx context.Context, id string) error {
	t.changed(kindAccount, id)
	return t.execExpectRow(ctx, "delete account "+id, `DELETE FROM accounts WHERE id = ?`, id)
}

// ListAccounts pages on the primary key (every account) or on accounts_org /
// accounts_org_parent, in creation order on accounts_org_seq / accounts_org_parent_seq; a
// Limit of zero or less means no limit. With the row cache, a View
// pages an organization's accounts on its cached members (cachedMembers); otherwise it reads
// only the ids (the indexes cover them) and takes the rows from the cache, reading them
// whole only when one is missing.
func (t *tx) ListAccounts(ctx context.Context, q org.AccountQuery) ([]org.Account, error) {
	if out, ok, err := t.cachedMembers(ctx, q); ok || err != nil {
		return out, err
	}
	query, args := listAccountsQuery(q, accountColumns)
	// queryIDs answers the ids sorted, which is the page's order only by id.
	if t.cache.c != nil && t.cache.ok && q.Order == org.ByID {
		idQuery, idArgs := listAccountsQuery(q, "id")
		ids, err := queryIDs(ctx, t, idQuery, idArgs...)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list accounts: %w", err)
		}
		if out, ok := t.cachedAccounts(ids); ok {
			return out, nil
		}
	}
	out, err := queryAll(ctx, t, scanAccount, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts: %w", err)
	}
	for i := range out {
		if t.usable(kindAccount, out[i].ID) {
			put(t.cache.c, t.cache.seq, t.cache.c.accounts, out[i].ID, out[i])
		}
	}
	return out, nil
}

// cachedMembers answers a View's page of an organization's accounts from the cache alone when
// it can (false when it cannot): the ids from the organization's members, loaded whole the
// first time, and the rows from the cached rows.
func (t *tx) cachedMembers(ctx context.Context, q org.AccountQuery) ([]org.Account, bool, error) {
	if !t.readOnly || t.cache.c == nil || !t.cache.ok || q.OrgID == "" || q.ParentID != "" || q.Order != org.ByID {
		return nil, false, nil
	}
	ids, ok := t.cache.c.membersAfter(t.cache.seq, q.OrgID, q.AfterID, q.Limit)
	if ok {
		t.cache.served = true
	} else {
		all, err := queryIDs(ctx, t, `SELECT id FROM accounts WHERE org_id = ?`, q.OrgID)
		if err != nil {
			return nil, false, fmt.Errorf("sqlite: list accounts: %w", err)
		}
		if !t.cache.ok { // the snapshot is newer than the cache
			return nil, false, nil
		}
		t.cache.c.putMembers(t.cache.seq, q.OrgID, all)
		i, found := slices.BinarySearch(all, q.AfterID)
		if found {
			i++
		}
		ids = all[i:]
		if q.Limit > 0 && len(ids) > q.Limit {
			ids = ids[:q.Limit]
		}
	}
	out, ok := t.cachedAccounts(ids)
	return out, ok, nil
}

// cachedAccounts returns the cached rows of ids, or false unless every one is cached.
func (t *tx) cachedAccounts(ids []string) ([]org.Account, bool) {
	out := make([]org.Account, 0, len(ids))
	for _, id := range ids {
		if !t.usable(kindAccount, id) {
			return nil, false
		}
		a, ok := hit(t, t.cache.c.accounts, id)
		if !ok {
			return nil, false
		}
		out = append(out, a)
	}
	return out, true
}

func listAccountsQuery(q org.AccountQuery, columns string) (string, []any) {
	var where []string
	var args []any
	if q.OrgID != "" {
		where, args = append(where, "org_id = ?"), append(args, q.OrgID)
	}
	if q.ParentID != "" {
		where, args = append(where, "parent_id = ?"), append(args, q.ParentID)
	}
	if q.Order == org.ByCreation {
		where, args = append(where, "seq > ?"), append(args, q.AfterSeq, noLimit(q.Limit))
		return `SELECT ` + columns + ` FROM accounts WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY seq LIMIT ?`, args
	}
	where, args = append(where, "id > ?"), append(args, q.AfterID, noLimit(q.Limit))
	return `SELECT ` + columns + ` FROM accounts WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY id LIMIT ?`, args
}

// CountAccounts counts the organization's accounts; orgID "" counts every account.
func (t *tx) CountAccounts(ctx context.Context, orgID string) (int, error) {
	var n int
	var err error
	if orgID == "" {
		err = t.queryRow(ctx, `SELECT COUNT(*) FROM accounts`).Scan(&n)
	} else {
		// Triggers keep the count (migration 0007).
		err = t.queryRow(ctx, `SELECT members FROM organizations WHERE id = ?`, orgID).Scan(&n)
		if errors.Is(err, sql.ErrNoRows) {
			n, err = 0, nil
		}
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: count accounts of %q: %w", orgID, err)
	}
	return n, nil
}

// CountClosures counts the organization's accounts whose closure was requested after since.
func (t *tx) CountClosures(ctx context.Context, orgID string, since time.Time) (int, error) {
	var n int
	err := t.queryRow(ctx, countClosuresQuery, orgID, since.UnixMilli()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqlite: count closures of %s: %w", orgID, err)
	}
	return n, nil
}

// Organizations.

func (t *tx) Organization(ctx context.Context, id string) (*org.Organization, error) {
	cacheable := t.usable(kindOrg, id)
	if cacheable {
		if o, ok := hit(t, t.cache.c.orgs, id); ok {
			return &o, nil
		}
	}
	var o org.Organization
	var created sql.NullInt64
	err := t.queryRow(ctx, `SELECT id, feature_set, management_account_id, root_id, partition, created_at, scp_version
		FROM organizations WHERE id = ?`, id).Scan(&o.ID, &o.FeatureSet, &o.ManagementAccountID, &o.RootID, &o.Partition, &created, &o.SCPVersion)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: organization %s: %w", id, org.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: organization %s: %w", id, err)
	}
	o.CreatedAt = fromMS(created)
	if cacheable {
		put(t.cache.c, t.cache.seq, t.cache.c.orgs, id, o)
	}
	return &o, nil
}

// ListOrganizations pages on the primary key.
func (t *tx) ListOrganizations(ctx context.Context, afterID string, limit int) ([]org.Organization, error) {
	out, err := queryAll(ctx, t, func(r scanner, o *org.Organization) error {
		var created sql.NullInt64
		err := r.Scan(&o.ID, &o.FeatureSet, &o.ManagementAccountID, &o.RootID, &o.Partition, &created, &o.SCPVersion)
		o.CreatedAt = fromMS(created)
		return err
	}, `SELECT id, feature_set, management_account_id, root_id, partition, created_at, scp_version
		FROM organizations WHERE id > ? ORDER BY id LIMIT ?`, afterID, noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list organizations: %w", err)
	}
	return out, nil
}

func (t *tx) PutOrganization(ctx context.Context, o *org.Organization) error {
	if err := t.writable("put organization " + o.ID); err != nil {
		return err
	}
	t.changed(kindOrg, o.ID)
	_, err := t.exec(ctx, `INSERT INTO organizations (id, feature_set, management_account_id, root_id, partition, created_at, scp_version)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET feature_set = excluded.feature_set,
			management_account_id = excluded.management_account_id, root_id = excluded.root_id,
			partition = excluded.partition, created_at = excluded.created_at, scp_version = excluded.scp_version`,
		o.ID, o.FeatureSet, o.ManagementAccountID, o.RootID, o.Partition, msOrNull(o.CreatedAt), o.SCPVersion)
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: put organization %s: root id %s is taken: %w", o.ID, o.RootID, org.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put organization %s: %w", o.ID, err)
	}
	return nil
}

func (t *tx) DeleteOrganization(ctx context.Context, id string) error {
	t.changed(kindOrg, id)
	return t.execExpectRow(ctx, "delete organization "+id, `DELETE FROM organizations WHERE id = ?`, id)
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
	}, `SELECT key, value FROM tags WHERE resource_id = ? ORDER BY `+orderBy, resourceID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tags of %s: %w", resourceID, err)
	}
	return out, nil
}

func (t *tx) CountTags(ctx context.Context, resourceID string) (int, error) {
	var n int
	if err := t.queryRow(ctx, `SELECT count(*) FROM tags WHERE resource_id = ?`, resourceID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count tags of %s: %w", resourceID, err)
	}
	return n, nil
}

func (t *tx) PutTags(ctx context.Context, resourceID string, tags []org.Tag) error {
	if err := t.writable("put tags of " + resourceID); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	// A key the resource has gets its new value in place, one probe of the primary key as
	// before creation order was kept; only a new key reads the resource's largest seq (at
	// most 50 rows) to come after the others (migration 0011).
	upd, err := t.stmt(ctx, `UPDATE tags SET value = ? WHERE resource_id = ? AND key = ?`)
	if err != nil {
		return fmt.Errorf("sqlite: put tags of %s: %w", resourceID, err)
	}
	ins, err := t.stmt(ctx, `INSERT INTO tags (resource_id, key, value, seq)
		VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM tags WHERE resource_id = ?))`)
	if err != nil {
		return fmt.Errorf("sqlite: put tags of %s: %w", resourceID, err)
	}
	for _, tag := range tags {
		res, err := upd.ExecContext(ctx, tag.Value, resourceID, tag.Key)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err == nil && n == 0 {
			_, err = ins.ExecContext(ctx, resourceID, tag.Key, tag.Value, resourceID)
		}
		if err != nil {
			return fmt.Errorf("sqlite: put tag %q of %s: %w", tag.Key, resourceID, err)
		}
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
	stmt, err := t.stmt(ctx, `DELETE FROM tags WHERE resource_id = ? AND key = ?`)
	if err != nil {
		return fmt.Errorf("sqlite: delete tags of %s: %w", resourceID, err)
	}
	for _, k := range keys {
		if _, err := stmt.ExecContext(ctx, resourceID, k); err != nil {
			return fmt.Errorf("sqlite: delete tag %q of %s: %w", k, resourceID, err)
		}
	}
	return nil
}

func (t *tx) DeleteAllTags(ctx context.Context, resourceID string) error {
	if err := t.writable("delete tags of " + resourceID); err != nil {
		return err
	}
	if _, err := t.exec(ctx, `DELETE FROM tags WHERE resource_id = ?`, resourceID); err != nil {
		return fmt.Errorf("sqlite: delete tags of %s: %w", resourceID, err)
	}
	return nil
}

// Outbox.

func (t *tx) AddOutbox(ctx context.Context, m *org.OutboxMessage) error {
	if err := t.writable("add outbox message"); err != nil {
		return err
	}
	err := t.queryRow(ctx, `INSERT INTO outbox (handshake_id, recipient, subject, body, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING seq`,
		m.HandshakeID, m.To, m.Subject, m.Body, msOrNull(m.CreatedAt)).Scan(&m.Seq)
	if err != nil {
		return fmt.Errorf("sqlite: add outbox message to %s: %w", m.To, err)
	}
	m.Delivery = org.Delivery{State: org.MailPending}
	return nil
}

// outboxColumns are the columns scanOutbox reads, in its order.
const outboxColumns = `seq, handshake_id, recipient, subject, body, created_at, sent_at,
	state, attempts, next_attempt_at, last_answer`

func scanOutbox(r scanner, m *org.OutboxMessage) error {
	var created, sent sql.NullInt64
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
		FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: list outbox: %w", err)
	}
	return out, nil
}

func (t *tx) ClaimOutbox(ctx context.Context, now, until time.Time, limit int) ([]org.OutboxMessage, error) {
	if err := t.writable("claim outbox messages"); err != nil {
		return nil, err
	}
	// One statement reads and moves the due messages, so that a concurrent claim either
	// sees them moved or conflicts with this one.
	out, err := queryAll(ctx, t, scanOutbox, `UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1
		WHERE seq IN (SELECT seq FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?)
		RETURNING `+outboxColumns, until.UnixMilli(), now.UnixMilli(), noLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim outbox messages: %w", err)
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
		`UPDATE outbox SET state = ?, attempts = ?, next_attempt_at = ?, last_answer = ?, sent_at = ? WHERE seq = ?`,
		d.State, d.Attempts, next, d.LastAnswer, msOrNull(d.SentAt), seq)
}

// Reset.

// Reset empties every table but schema_migrations. The AUTOINCREMENT counters
// (sqlite_sequence) are kept, so handshake and outbox sequence numbers never repeat.
func (t *tx) Reset(ctx context.Context) error {
	if err := t.writable("reset"); err != nil {
		return err
	}
	t.changed(kindAll, "")
	if t.settings != nil {
		clear(t.settings)
	}
	for _, table := range [...]string{"settings", "accounts", "organizations", "ous", "create_account_requests", "handshakes", "tags", "outbox",
		"policies", "policy_attachments", "policy_types",
		"service_access", "delegated_admins", "resource_policies", "transfers", "roles", "sessions"} {
		if _, err := t.exec(ctx, `DELETE FROM `+table); err != nil {
			return fmt.Errorf("sqlite: reset %s: %w", table, err)
		}
	}
	return nil
}
