// An end-to-end flow of the AWS SDK for JavaScript v3 against orgd, as a user's code would
// write it: the SDK's own request signing, JSON protocol, error classes and paginators, with
// nothing but the endpoint changed. cmd/orgd's TestJavaScriptSDK runs it against a fresh
// orgd; by hand: `npm ci && ORGD_ENDPOINT=http://127.0.0.1:9323 node e2e.mjs` against an
// orgd started with `--db memory --create-account-delay 1h`.
//
// Environment: ORGD_ENDPOINT (default http://127.0.0.1:9323); ORGD_SECRET_ACCESS_KEY, the
// secret of every access key (default x: an orgd without --credentials checks none).
// It prints one line per check and exits non-zero at the first that fails.

import assert from 'node:assert/strict';
import {
  AcceptHandshakeCommand,
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  ConstraintViolationException,
  CreateAccountCommand,
  CreateOrganizationCommand,
  CreateOrganizationalUnitCommand,
  DescribeCreateAccountStatusCommand,
  DescribeOrganizationCommand,
  DuplicateAccountException,
  DuplicateOrganizationalUnitException,
  HandshakeConstraintViolationException,
  InvalidInputException,
  InviteAccountToOrganizationCommand,
  ListAccountsForParentCommand,
  ListHandshakesForAccountCommand,
  ListParentsCommand,
  ListRootsCommand,
  MoveAccountCommand,
  OrganizationsClient,
  OrganizationsServiceException,
  SourceParentNotFoundException,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';

const endpoint = process.env.ORGD_ENDPOINT ?? 'http://127.0.0.1:9323';
const secretAccessKey = process.env.ORGD_SECRET_ACCESS_KEY ?? 'x';

// The management account, and the standalone account it invites. orgd takes the calling
// account from the access key: a 12-digit key is that account (README, "Which account is
// calling"), and a --credentials file maps these keys to the same accounts.
const MANAGEMENT = '111111111111';
const INVITEE = '222222222222';

// client is what a user writes: static credentials, a region for the signature's scope,
// and the endpoint. One attempt, so that an error is the server's answer, not a retry's.
function client(accountId) {
  return new OrganizationsClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: accountId, secretAccessKey },
    maxAttempts: 1,
  });
}

const mgmt = client(MANAGEMENT);
const invitee = client(INVITEE);

function ok(what) {
  console.log(`ok - ${what}`);
}

// rejected awaits a call that must fail with errorClass (the SDK's own class, so instanceof
// proves the SDK parsed the error's type from orgd's answer) and returns the error.
async function rejected(call, errorClass) {
  let result;
  try {
    result = await call;
  } catch (err) {
    assert.ok(err instanceof errorClass, `got ${err?.name}: ${err?.message}, want ${errorClass.name}`);
    assert.ok(err instanceof OrganizationsServiceException, `${err.name} is not an OrganizationsServiceException`);
    assert.equal(err.$fault, 'client');
    assert.equal(err.$metadata.httpStatusCode, 400);
    assert.match(err.$metadata.requestId ?? '', /\S/, 'the error carries no request id');
    assert.ok(err.message.length > 0, 'the error has no message');
    return err;
  }
  assert.fail(`succeeded (${JSON.stringify(result)}), want ${errorClass.name}`);
}

// admin calls orgd's admin API, which stands in for what happens outside the Organizations
// API (an account signing up, time passing). On loopback it needs no token.
async function admin(path, body) {
  const res = await fetch(new URL(path, endpoint), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200, `POST ${path}: ${res.status} ${await res.text()}`);
}

async function main() {
  // Typed error before any organization exists.
  const notInUse = await rejected(mgmt.send(new DescribeOrganizationCommand({})), AWSOrganizationsNotInUseException);
  ok(`DescribeOrganization before CreateOrganization: ${notInUse.name} (${notInUse.message})`);

  const { Organization: org, $metadata } = await mgmt.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
  assert.match($metadata.requestId ?? '', /\S/, 'the answer carries no request id');
  assert.match(org.Id, /^o-[a-z0-9]{10,32}$/);
  assert.equal(org.MasterAccountId, MANAGEMENT);
  assert.equal(org.FeatureSet, 'ALL');
  assert.equal(org.Arn, `arn:aws:organizations::${MANAGEMENT}:organization/${org.Id}`);
  ok(`CreateOrganization: ${org.Id}, management account ${org.MasterAccountId}`);

  const { Roots: roots } = await mgmt.send(new ListRootsCommand({}));
  assert.equal(roots.length, 1);
  const root = roots[0].Id;
  assert.match(root, /^r-[0-9a-z]{4,32}$/);
  ok(`ListRoots: ${root}`);

  // Nested OUs, five levels deep: AWS's limit, so a sixth is a ConstraintViolationException
  // whose Reason the SDK exposes as a field.
  const ous = [];
  let parent = root;
  for (const name of ['Workloads', 'Prod', 'Web', 'Blue', 'Canary']) {
    const { OrganizationalUnit: ou } = await mgmt.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: name }));
    assert.match(ou.Id, new RegExp(`^ou-${root.slice(2)}-[0-9a-z]{8,32}$`));
    assert.equal(ou.Name, name);
    ous.push(ou);
    parent = ou.Id;
  }
  ok(`CreateOrganizationalUnit nested 5 deep: ${ous.map((ou) => ou.Name).join('/')}`);
  const tooDeep = await rejected(
    mgmt.send(new CreateOrganizationalUnitCommand({ ParentId: parent, Name: 'Sixth' })),
    ConstraintViolationException,
  );
  assert.equal(tooDeep.Reason, 'OU_DEPTH_LIMIT_EXCEEDED');
  ok(`a sixth level: ${tooDeep.name} Reason ${tooDeep.Reason}`);
  const duplicate = await rejected(
    mgmt.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Workloads' })),
    DuplicateOrganizationalUnitException,
  );
  ok(`a second Workloads under the root: ${duplicate.name}`);
  const invalid = await rejected(
    mgmt.send(new CreateOrganizationalUnitCommand({ ParentId: 'not-a-parent', Name: 'X' })),
    InvalidInputException,
  );
  assert.equal(invalid.Reason, 'INVALID_PATTERN');
  ok(`a malformed ParentId: ${invalid.name} Reason ${invalid.Reason}`);

  // CreateAccount is asynchronous: poll until SUCCEEDED. The test's orgd keeps a creation
  // IN_PROGRESS for an hour of its clock, and each IN_PROGRESS answer moves that clock on
  // 15 minutes, in place of the minutes a real creation takes.
  const { CreateAccountStatus: created } = await mgmt.send(
    new CreateAccountCommand({ Email: 'dev@example.com', AccountName: 'dev' }),
  );
  assert.equal(created.State, 'IN_PROGRESS');
  assert.match(created.Id, /^car-[a-z0-9]{8,32}$/);
  assert.ok(created.RequestedTimestamp instanceof Date, 'RequestedTimestamp is not a Date');
  let status;
  let polls = 0;
  for (;;) {
    ({ CreateAccountStatus: status } = await mgmt.send(
      new DescribeCreateAccountStatusCommand({ CreateAccountRequestId: created.Id }),
    ));
    polls++;
    if (status.State !== 'IN_PROGRESS') break;
    assert.ok(polls < 10, `still IN_PROGRESS after ${polls} polls`);
    await admin('/_orgd/clock', { Advance: '15m' });
  }
  assert.equal(status.State, 'SUCCEEDED', `creation ${status.State}: ${status.FailureReason}`);
  assert.ok(polls > 1, 'the creation was never IN_PROGRESS when polled');
  assert.match(status.AccountId, /^\d{12}$/);
  assert.ok(status.CompletedTimestamp >= status.RequestedTimestamp, 'completed before it was requested');
  ok(`CreateAccount ${created.Id}: SUCCEEDED after ${polls} DescribeCreateAccountStatus polls, account ${status.AccountId}`);
  const devAccount = status.AccountId;

  // An account signs up on its own (the README's first session: `orgd accounts add`), is
  // invited, and accepts with its own credentials.
  await admin('/_orgd/accounts', { Id: INVITEE, Email: 'juan@example.com', Name: 'Juan' });
  const { Handshake: invitation } = await mgmt.send(
    new InviteAccountToOrganizationCommand({
      Target: { Type: 'ACCOUNT', Id: INVITEE },
      Notes: 'Join the organization',
    }),
  );
  assert.equal(invitation.State, 'OPEN');
  assert.equal(invitation.Action, 'INVITE');
  // Epoch-second timestamps become Dates: an invitation expires 15 days after it was sent.
  assert.equal(invitation.ExpirationTimestamp - invitation.RequestedTimestamp, 15 * 24 * 3600 * 1000);
  assert.deepEqual(
    invitation.Parties.map((p) => `${p.Type}:${p.Id}`).sort(),
    [`ACCOUNT:${INVITEE}`, `ORGANIZATION:${org.Id}`].sort(),
  );
  ok(`InviteAccountToOrganization ${INVITEE}: ${invitation.Id} OPEN`);
  const { Handshakes: pending } = await invitee.send(new ListHandshakesForAccountCommand({}));
  assert.deepEqual(
    pending.map((h) => h.Id),
    [invitation.Id],
  );
  const { Handshake: accepted } = await invitee.send(new AcceptHandshakeCommand({ HandshakeId: invitation.Id }));
  assert.equal(accepted.State, 'ACCEPTED');
  ok(`AcceptHandshake as ${INVITEE}: ACCEPTED`);
  const { Organization: joined } = await invitee.send(new DescribeOrganizationCommand({}));
  assert.equal(joined.Id, org.Id);
  ok(`DescribeOrganization as ${INVITEE}: ${joined.Id}`);
  const denied = await rejected(
    invitee.send(new CreateOrganizationalUnitCommand({ ParentId: root, Name: 'Mine' })),
    AccessDeniedException,
  );
  ok(`a member creating an OU: ${denied.name}`);
  const again = await rejected(
    mgmt.send(new InviteAccountToOrganizationCommand({ Target: { Type: 'ACCOUNT', Id: INVITEE } })),
    HandshakeConstraintViolationException,
  );
  assert.equal(again.Reason, 'ALREADY_IN_AN_ORGANIZATION');
  ok(`inviting a member again: ${again.name} Reason ${again.Reason}`);

  // The paginator follows NextToken with one account a page: every account once.
  const want = [MANAGEMENT, devAccount, INVITEE].sort();
  const seen = [];
  let pages = 0;
  for await (const page of paginateListAccounts({ client: mgmt, pageSize: 1 }, {})) {
    pages++;
    assert.ok(page.Accounts.length <= 1, `a page of ${page.Accounts.length} accounts, want at most 1`);
    seen.push(...page.Accounts.map((a) => a.Id));
  }
  assert.deepEqual([...seen].sort(), want, `accounts seen: ${seen}`);
  assert.ok(pages >= want.length, `${pages} pages for ${want.length} accounts`);
  ok(`paginateListAccounts pageSize 1: ${pages} pages, ${seen.length} accounts, each once`);

  // MoveAccount from the root into the deepest OU.
  const deepest = ous.at(-1).Id;
  await mgmt.send(new MoveAccountCommand({ AccountId: INVITEE, SourceParentId: root, DestinationParentId: deepest }));
  const { Parents: parents } = await mgmt.send(new ListParentsCommand({ ChildId: INVITEE }));
  assert.deepEqual(parents, [{ Id: deepest, Type: 'ORGANIZATIONAL_UNIT' }]);
  const { Accounts: inDeepest } = await mgmt.send(new ListAccountsForParentCommand({ ParentId: deepest }));
  assert.deepEqual(
    inDeepest.map((a) => a.Id),
    [INVITEE],
  );
  ok(`MoveAccount ${INVITEE} into ${deepest}: ListParents and ListAccountsForParent agree`);
  const twice = await rejected(
    mgmt.send(new MoveAccountCommand({ AccountId: INVITEE, SourceParentId: root, DestinationParentId: deepest })),
    DuplicateAccountException,
  );
  ok(`the same move again: ${twice.name}`);
  const noSource = `ou-${root.slice(2)}-00000000`;
  const notFound = await rejected(
    mgmt.send(new MoveAccountCommand({ AccountId: INVITEE, SourceParentId: noSource, DestinationParentId: root })),
    SourceParentNotFoundException,
  );
  ok(`a move from ${noSource}, which does not exist: ${notFound.name}`);
}

try {
  await main();
  console.log('all checks passed');
} catch (err) {
  console.error(`FAIL: ${err.stack ?? err}`);
  process.exitCode = 1;
}
