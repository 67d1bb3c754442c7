package awsjson_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/orgd/orgd/internal/awsjson"
	"github.com/orgd/orgd/internal/model"
	"github.com/orgd/orgd/internal/org"
	"github.com/orgd/orgd/internal/server"
	"github.com/orgd/orgd/internal/sigv4"
)

// validInputs holds a valid input of every operation: the fuzzer's seeds, from which it
// mutates its way into every member of every shape. Ids match the model's patterns; most
// name nothing that exists, which the domain answers with a 4xx of its own.
var validInputs = map[string]string{
	"AcceptHandshake":                            `{"HandshakeId":"h-0123456789"}`,
	"AttachPolicy":                               `{"PolicyId":"p-0123456789","TargetId":"ou-abcd-01234567"}`,
	"CancelHandshake":                            `{"HandshakeId":"h-0123456789"}`,
	"CloseAccount":                               `{"AccountId":"222222222222"}`,
	"CreateAccount":                              `{"Email":"new@example.com","AccountName":"New","RoleName":"Admin","IamUserAccessToBilling":"ALLOW","Tags":[{"Key":"k","Value":"v"}]}`,
	"CreateGovCloudAccount":                      `{"Email":"gov@example.com","AccountName":"Gov","RoleName":"Admin","IamUserAccessToBilling":"DENY"}`,
	"CreateOrganization":                         `{"FeatureSet":"ALL"}`,
	"CreateOrganizationalUnit":                   `{"ParentId":"r-abcd","Name":"OU","Tags":[{"Key":"k","Value":"v"}]}`,
	"CreatePolicy":                               `{"Content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"s3:*\",\"Resource\":\"*\"}]}","Description":"d","Name":"n","Type":"SERVICE_CONTROL_POLICY","Tags":[{"Key":"k","Value":"v"}]}`,
	"DeclineHandshake":                           `{"HandshakeId":"h-0123456789"}`,
	"DeleteOrganization":                         `{}`,
	"DeleteOrganizationalUnit":                   `{"OrganizationalUnitId":"ou-abcd-01234567"}`,
	"DeletePolicy":                               `{"PolicyId":"p-0123456789"}`,
	"DeleteResourcePolicy":                       `{}`,
	"DeregisterDelegatedAdministrator":           `{"AccountId":"222222222222","ServicePrincipal":"config.amazonaws.com"}`,
	"DescribeAccount":                            `{"AccountId":"111111111111"}`,
	"DescribeCreateAccountStatus":                `{"CreateAccountRequestId":"car-0123456789"}`,
	"DescribeEffectivePolicy":                    `{"PolicyType":"TAG_POLICY","TargetId":"111111111111"}`,
	"DescribeHandshake":                          `{"HandshakeId":"h-0123456789"}`,
	"DescribeOrganization":                       `{}`,
	"DescribeOrganizationalUnit":                 `{"OrganizationalUnitId":"ou-abcd-01234567"}`,
	"DescribePolicy":                             `{"PolicyId":"p-FullAWSAccess"}`,
	"DescribeResourcePolicy":                     `{}`,
	"DescribeResponsibilityTransfer":             `{"Id":"rt-0123456789"}`,
	"DetachPolicy":                               `{"PolicyId":"p-FullAWSAccess","TargetId":"r-abcd"}`,
	"DisableAWSServiceAccess":                    `{"ServicePrincipal":"config.amazonaws.com"}`,
	"DisablePolicyType":                          `{"RootId":"r-abcd","PolicyType":"TAG_POLICY"}`,
	"EnableAWSServiceAccess":                     `{"ServicePrincipal":"config.amazonaws.com"}`,
	"EnableAllFeatures":                          `{}`,
	"EnablePolicyType":                           `{"RootId":"r-abcd","PolicyType":"TAG_POLICY"}`,
	"InviteAccountToOrganization":                `{"Target":{"Id":"333333333333","Type":"ACCOUNT"},"Notes":"hi","Tags":[{"Key":"k","Value":"v"}]}`,
	"InviteOrganizationToTransferResponsibility": `{"Type":"BILLING","Target":{"Id":"333333333333","Type":"ACCOUNT"},"Notes":"n","StartTimestamp":1893456000,"SourceName":"s"}`,
	"LeaveOrganization":                          `{}`,
	"ListAWSServiceAccessForOrganization":        `{"MaxResults":5}`,
	"ListAccounts":                               `{"MaxResults":20,"NextToken":"x"}`,
	"ListAccountsForParent":                      `{"ParentId":"r-abcd","MaxResults":1}`,
	"ListAccountsWithInvalidEffectivePolicy":     `{"PolicyType":"TAG_POLICY"}`,
	"ListChildren":                               `{"ParentId":"r-abcd","ChildType":"ORGANIZATIONAL_UNIT"}`,
	"ListCreateAccountStatus":                    `{"States":["IN_PROGRESS","SUCCEEDED"]}`,
	"ListDelegatedAdministrators":                `{"ServicePrincipal":"config.amazonaws.com"}`,
	"ListDelegatedServicesForAccount":            `{"AccountId":"222222222222"}`,
	"ListEffectivePolicyValidationErrors":        `{"AccountId":"111111111111","PolicyType":"TAG_POLICY"}`,
	"ListHandshakesForAccount":                   `{"Filter":{"ActionType":"INVITE"}}`,
	"ListHandshakesForOrganization":              `{"Filter":{"ParentHandshakeId":"h-0123456789"}}`,
	"ListInboundResponsibilityTransfers":         `{"Type":"BILLING","Id":"rt-0123456789"}`,
	"ListOrganizationalUnitsForParent":           `{"ParentId":"r-abcd"}`,
	"ListOutboundResponsibilityTransfers":        `{"Type":"BILLING"}`,
	"ListParents":                                `{"ChildId":"111111111111"}`,
	"ListPolicies":                               `{"Filter":"SERVICE_CONTROL_POLICY"}`,
	"ListPoliciesForTarget":                      `{"TargetId":"111111111111","Filter":"SERVICE_CONTROL_POLICY"}`,
	"ListRoots":                                  `{}`,
	"ListTagsForResource":                        `{"ResourceId":"111111111111"}`,
	"ListTargetsForPolicy":                       `{"PolicyId":"p-FullAWSAccess"}`,
	"MoveAccount":                                `{"AccountId":"111111111111","SourceParentId":"r-abcd","DestinationParentId":"ou-abcd-01234567"}`,
	"PutResourcePolicy":                          `{"Content":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"222222222222\"},\"Action\":\"organizations:DescribeOrganization\",\"Resource\":\"*\"}]}"}`,
	"RegisterDelegatedAdministrator":             `{"AccountId":"222222222222","ServicePrincipal":"config.amazonaws.com"}`,
	"RemoveAccountFromOrganization":              `{"AccountId":"222222222222"}`,
	"TagResource":                                `{"ResourceId":"111111111111","Tags":[{"Key":"k","Value":"v"}]}`,
	"TerminateResponsibilityTransfer":            `{"Id":"rt-0123456789","EndTimestamp":1893456000}`,
	"UntagResource":                              `{"ResourceId":"111111111111","TagKeys":["k"]}`,
	"UpdateOrganizationalUnit":                   `{"OrganizationalUnitId":"ou-abcd-01234567","Name":"n"}`,
	"UpdatePolicy":                               `{"PolicyId":"p-0123456789","Name":"n","Description":"d","Content":"{}"}`,
	"UpdateResponsibilityTransfer":               `{"Id":"rt-0123456789","Name":"n"}`,
}

// TestValidInputsCoverEveryOperation keeps the seeds complete as the model grows.
func TestValidInputsCoverEveryOperation(t *testing.T) {
	for _, op := range model.OperationNames {
		body, ok := validInputs[op]
		if !ok {
			t.Errorf("no valid input for %s", op)
			continue
		}
		if !json.Valid([]byte(body)) {
			t.Errorf("%s: input %s is not JSON", op, body)
		}
	}
	if len(validInputs) != len(model.OperationNames) {
		t.Errorf("%d inputs for %d operations", len(validInputs), len(model.OperationNames))
	}
}

// errorLog records what the handler logs at Error level: an internal failure or a panic.
type errorLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *errorLog) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelError }
func (l *errorLog) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	l.mu.Lock()
	l.lines = append(l.lines, b.String())
	l.mu.Unlock()
	return nil
}
func (l *errorLog) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *errorLog) WithGroup(string) slog.Handler      { return l }

func (l *errorLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// FuzzRequest drives every operation's decoder (and what follows it: validation, the domain,
// the store) with mutated bodies: each answer is a 200 or a 4xx AWS error, never a 5xx or a
// panic. The organization lives in a memory store shared by the iterations, so later inputs
// meet the state earlier ones left.
func FuzzRequest(f *testing.F) {
	srv, err := server.New(context.Background(), server.Config{DB: "memory"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Close() })
	errs := &errorLog{}
	h := &awsjson.Handler{API: srv.Service, Resolver: &sigv4.Resolver{DefaultAccount: org.DefaultAccountID}, Logger: slog.New(errs)}
	call := func(op string, body []byte) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AWSOrganizationsV20161128."+op)
		req.Header.Set("Content-Type", jsonCT)
		req.Header.Set("Authorization", authFor(mgmt))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := call("CreateOrganization", []byte(`{}`)); rec.Code != http.StatusOK {
		f.Fatalf("CreateOrganization: %d %s", rec.Code, rec.Body)
	}
	for i, op := range model.OperationNames {
		f.Add(uint8(i), []byte(validInputs[op]))
	}
	f.Fuzz(func(t *testing.T, opIndex uint8, body []byte) {
		op := model.OperationNames[int(opIndex)%len(model.OperationNames)]
		rec := call(op, body)
		if lines := errs.take(); len(lines) > 0 {
			t.Errorf("%s %q: logged %s", op, body, strings.Join(lines, "; "))
		}
		if rec.Code == http.StatusOK {
			return
		}
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("%s %q: status %d %s", op, body, rec.Code, rec.Body)
		}
		var e struct {
			Type    string `json:"__type"`
			Message string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Type == "" || e.Message == "" || rec.Header().Get("X-Amzn-ErrorType") != e.Type {
			t.Fatalf("%s %q: %d answer not in AWS's form: %s", op, body, rec.Code, rec.Body)
		}
	})
}
