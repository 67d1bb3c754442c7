package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/orgd/orgd/internal/apitest"
	"github.com/orgd/orgd/internal/testenv"
)

// EnvArtifacts names the directory the browser tests write their screenshots to (one
// subdirectory per test); unset, a temporary directory the test removes.
const EnvArtifacts = "ORGD_TEST_ARTIFACTS"

// chrome starts Debian's chromium headless for one test and returns a tab's context, and
// the directory its screenshots go to.
func chrome(t *testing.T) (context.Context, string) {
	t.Helper()
	path, err := exec.LookPath("chromium")
	testenv.Require(t, fmt.Sprintf("Debian's chromium on the PATH (apt-get install chromium): %v", err), err == nil)
	dir := t.TempDir()
	if d := os.Getenv(EnvArtifacts); d != "" {
		dir = filepath.Join(d, t.Name())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The flags this machine's closed network needs: Chromium's background connections
	// would be refused, many at a time. --no-sandbox: the tests may run as root, as CI does.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	ctx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancelTab := chromedp.NewContext(ctx)
	t.Cleanup(cancelTab)
	return ctx, dir
}

// shot saves a full-page screenshot of the tab as dir/name.png (quality 100 is PNG).
func shot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// do runs the steps of one stage of the flow, failing the test with the stage's name.
func do(t *testing.T, ctx context.Context, stage string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", stage, err)
	}
}

// read runs one action that returns a value.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("read %s: %v", what, err)
	}
	return v
}

// TestSeedFlowInBrowser is the seed flow in a real browser: Bill has invited Juan by e-mail
// with notes holding HTML; Juan opens the e-mail's link, is sent through sign-in, reads the
// notes as text (no element made of them, no script run) and accepts; Bill's tree then
// shows Juan's account. A form sent without its CSRF token is refused and changes nothing.
func TestSeedFlowInBrowser(t *testing.T) {
	ctx, dir := chrome(t)
	s := apitest.Start(t)
	root, h := seedOn(t, s)
	var dialogs atomic.Int32
	if err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	do(t, ctx, "Juan opens the e-mail's link",
		chromedp.Navigate(s.URL+"/console/handshakes/"+h),
		chromedp.WaitVisible(css(`#signin`)))
	shot(t, ctx, dir, "01-link-leads-to-sign-in")
	if at := read(t, ctx, "location", chromedp.Location()); !strings.Contains(at, "/console/signin?next=") {
		t.Fatalf("the link led to %s, want the sign-in page", at)
	}

	do(t, ctx, "Juan signs in",
		chromedp.Click(css(`input[name="account"][value="`+juan+`"]`)),
		chromedp.Click(css(`#signin`)),
		chromedp.WaitVisible(css(`#`+h+` .notes`)))
	shot(t, ctx, dir, "02-invitation")
	if at := read(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(at, "/console/handshakes/"+h) {
		t.Errorf("after sign-in the browser is at %s, want the invitation", at)
	}
	notes := read(t, ctx, "notes", chromedp.Text(css(`#`+h+` .notes`)))
	markup := read(t, ctx, "elements in the notes", chromedp.Evaluate[int](`document.querySelectorAll('.notes *').length`))
	if notes != seedNotes || markup != 0 {
		t.Errorf("the notes read %q with %d elements inside, want the text %q and none", notes, markup, seedNotes)
	}

	do(t, ctx, "Juan accepts",
		chromedp.Click(css(`#`+h+` button.accept`)),
		chromedp.WaitVisible(css(`.flash`)))
	shot(t, ctx, dir, "03-accepted")
	if flash := read(t, ctx, "message", chromedp.Text(css(`.flash`))); !strings.Contains(flash, "Accepted the invitation") {
		t.Fatalf("after Accept the page says %q", flash)
	}

	juanInTree := css(`li.account[data-account="` + juan + `"]`)
	do(t, ctx, "Bill signs in",
		chromedp.Click(css(`form.who button`)),
		chromedp.WaitVisible(css(`#signin`)),
		chromedp.SendKeys(css(`input[name="account_id"]`), bill),
		chromedp.Click(css(`#signin`)),
		chromedp.WaitVisible(juanInTree))
	shot(t, ctx, dir, "04-bill-tree-with-juan")
	if line := read(t, ctx, "Juan's line", chromedp.Text(juanInTree)); !strings.Contains(line, "Juan") || !strings.Contains(line, "ACTIVE") {
		t.Errorf("Juan's line in Bill's tree reads %q, want his name and ACTIVE", line)
	}

	do(t, ctx, "Bill sends a form without its CSRF token",
		chromedp.SendKeys(css(`form[action="/console/ous"] input[name="name"]`), "Sneaky"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action="/console/ous"] input[name="csrf"]').remove()`),
		chromedp.Click(css(`form[action="/console/ous"] button`)),
		chromedp.WaitVisible(css(`.flash.error`)))
	shot(t, ctx, dir, "05-csrf-refused")
	if refused := read(t, ctx, "refusal", chromedp.Text(css(`.flash.error`))); !strings.Contains(refused, "CSRF token") {
		t.Errorf("the form without a token got %q, want the CSRF refusal", refused)
	}
	requireOUs(t, s, root, 0)
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: a script from the notes ran", n)
	}
	t.Logf("screenshots in %s", dir)
}
