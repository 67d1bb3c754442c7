"""A suite written the way moto's users write them (issue 10), run against
`orgd serve --compat moto` by TestMotoEraSuite.

It passes against moto's own server too (moto_server), which is how it was checked to be
a moto-era suite. It talks to the server through boto3 with moto's dummy credentials (the access key
"testing", which orgd maps to the default account 123456789012, moto's own), resets the
server between tests through moto's reset endpoint, reads CreateAccount's AccountId straight
from its answer and expects every list in insertion order, as moto gives them. Policy types
are enabled before policies are attached, which AWS (and orgd's profile) requires.

Usage: ORGD_ENDPOINT=http://127.0.0.1:PORT python3 moto_era_suite.py
Prints one line per test and exits 1 if any failed.
"""

import os
import sys
import traceback
import urllib.request

import boto3
from botocore.exceptions import ClientError

ENDPOINT = os.environ["ORGD_ENDPOINT"]
MASTER = "123456789012"
SCP = "SERVICE_CONTROL_POLICY"
DENY_S3 = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}'


def client():
    return boto3.client(
        "organizations",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def reset():
    req = urllib.request.Request(ENDPOINT + "/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(req).read()


def root_id(org):
    return org.list_roots()["Roots"][0]["Id"]


def create_accounts(org, n, prefix="acct"):
    ids = []
    for i in range(n):
        resp = org.create_account(Email=f"{prefix}{i:02d}@example.com", AccountName=f"{prefix}{i:02d}")
        # No polling: moto answers the finished status.
        status = resp["CreateAccountStatus"]
        assert status["State"] == "SUCCEEDED", status
        ids.append(status["AccountId"])
    return ids


def all_pages(call, key, page_size, **kwargs):
    """Pages through a list with MaxResults and NextToken by hand, as many suites do."""
    items, token = [], None
    while True:
        args = dict(kwargs, MaxResults=page_size)
        if token:
            args["NextToken"] = token
        resp = call(**args)
        assert len(resp[key]) <= page_size, resp
        items += resp[key]
        token = resp.get("NextToken")
        if not token:
            return items


def test_create_organization():
    org = client()
    resp = org.create_organization(FeatureSet="ALL")
    assert resp["Organization"]["MasterAccountId"] == MASTER
    assert resp["Organization"]["FeatureSet"] == "ALL"
    described = org.describe_organization()["Organization"]
    assert described["Id"] == resp["Organization"]["Id"]
    roots = org.list_roots()["Roots"]
    assert len(roots) == 1 and roots[0]["Id"].startswith("r-")
    accounts = org.list_accounts()["Accounts"]
    assert [a["Id"] for a in accounts] == [MASTER]


def test_create_30_accounts_without_polling():
    org = client()
    org.create_organization(FeatureSet="ALL")
    ids = create_accounts(org, 30)
    assert len(set(ids)) == 30
    for i, account_id in enumerate(ids):
        account = org.describe_account(AccountId=account_id)["Account"]
        assert account["Name"] == f"acct{i:02d}"
        assert account["Email"] == f"acct{i:02d}@example.com"
        assert account["Status"] == "ACTIVE"
        assert account["JoinedMethod"] == "CREATED"
    # Insertion order, management account first, over pages of any size.
    for size in (1, 7, 20):
        listed = all_pages(org.list_accounts, "Accounts", size)
        assert [a["Id"] for a in listed] == [MASTER] + ids, size
    # The same through boto3's paginator.
    pages = org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 4})
    assert [a["Id"] for page in pages for a in page["Accounts"]] == [MASTER] + ids
    # One page (moto's NextToken for this list does not advance, so suites read one); moto
    # lists a status for the management account too, which suites filter out.
    statuses = org.list_create_account_status(States=["SUCCEEDED"], MaxResults=10)["CreateAccountStatuses"]
    created = [s["AccountId"] for s in statuses if s["AccountId"] != MASTER]
    assert len(created) >= 9 and created == ids[: len(created)], created


def test_create_account_status_lookups():
    org = client()
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(Email="dev@example.com", AccountName="dev")["CreateAccountStatus"]
    assert status["AccountName"] == "dev" and "CompletedTimestamp" in status
    again = org.describe_create_account_status(CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    assert again["State"] == "SUCCEEDED" and again["AccountId"] == status["AccountId"]


def test_organizational_units_in_order():
    org = client()
    org.create_organization(FeatureSet="ALL")
    root = root_id(org)
    names = ["prod", "dev", "security", "audit", "sandbox"]
    ous = [org.create_organizational_unit(ParentId=root, Name=n)["OrganizationalUnit"] for n in names]
    listed = all_pages(org.list_organizational_units_for_parent, "OrganizationalUnits", 2, ParentId=root)
    assert [u["Name"] for u in listed] == names
    children = org.list_children(ParentId=root, ChildType="ORGANIZATIONAL_UNIT")["Children"]
    assert [c["Id"] for c in children] == [u["Id"] for u in ous]
    nested = org.create_organizational_unit(ParentId=ous[0]["Id"], Name="workloads")["OrganizationalUnit"]
    parents = org.list_parents(ChildId=nested["Id"])["Parents"]
    assert parents == [{"Id": ous[0]["Id"], "Type": "ORGANIZATIONAL_UNIT"}]

    ids = create_accounts(org, 6)
    for account_id in (ids[4], ids[1], ids[2]):
        org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=ous[0]["Id"])
    in_ou = all_pages(org.list_accounts_for_parent, "Accounts", 2, ParentId=ous[0]["Id"])
    assert [a["Id"] for a in in_ou] == [ids[1], ids[2], ids[4]]  # creation order, not move order
    in_root = org.list_accounts_for_parent(ParentId=root)["Accounts"]
    assert [a["Id"] for a in in_root] == [MASTER, ids[0], ids[3], ids[5]]
    kids = org.list_children(ParentId=ous[0]["Id"], ChildType="ACCOUNT")["Children"]
    assert [c["Id"] for c in kids] == [ids[1], ids[2], ids[4]]

    org.update_organizational_unit(OrganizationalUnitId=ous[1]["Id"], Name="development")
    listed = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    assert [u["Name"] for u in listed] == ["prod", "development", "security", "audit", "sandbox"]
    org.delete_organizational_unit(OrganizationalUnitId=ous[3]["Id"])
    listed = org.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"]
    assert [u["Name"] for u in listed] == ["prod", "development", "security", "sandbox"]


def test_policies_in_order():
    org = client()
    org.create_organization(FeatureSet="ALL")
    root = root_id(org)
    org.enable_policy_type(RootId=root, PolicyType=SCP)
    names = ["deny-s3", "allow-all", "region-lock"]
    created = [
        org.create_policy(Content=DENY_S3, Description=n, Name=n, Type=SCP)["Policy"]["PolicySummary"]
        for n in names
    ]
    listed = all_pages(org.list_policies, "Policies", 2, Filter=SCP)
    assert [p["Name"] for p in listed] == ["FullAWSAccess"] + names
    ou = org.create_organizational_unit(ParentId=root, Name="ou")["OrganizationalUnit"]
    (account,) = create_accounts(org, 1)
    for p in (created[2], created[0]):
        org.attach_policy(PolicyId=p["Id"], TargetId=ou["Id"])
    org.attach_policy(PolicyId=created[0]["Id"], TargetId=account)
    for_ou = org.list_policies_for_target(TargetId=ou["Id"], Filter=SCP)["Policies"]
    assert [p["Name"] for p in for_ou] == ["FullAWSAccess", "region-lock", "deny-s3"]
    targets = org.list_targets_for_policy(PolicyId=created[0]["Id"])["Targets"]
    assert sorted(t["TargetId"] for t in targets) == sorted([ou["Id"], account])
    described = org.describe_policy(PolicyId=created[0]["Id"])["Policy"]
    assert described["Content"] == DENY_S3
    org.update_policy(PolicyId=created[1]["Id"], Name="allow-everything")
    listed = org.list_policies(Filter=SCP)["Policies"]
    assert [p["Name"] for p in listed] == ["FullAWSAccess", "deny-s3", "allow-everything", "region-lock"]
    org.detach_policy(PolicyId=created[0]["Id"], TargetId=account)
    try:
        org.delete_policy(PolicyId=created[0]["Id"])
        raise AssertionError("deleting an attached policy succeeded")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "PolicyInUseException", e.response
    org.delete_policy(PolicyId=created[1]["Id"])
    listed = org.list_policies(Filter=SCP)["Policies"]
    assert [p["Name"] for p in listed] == ["FullAWSAccess", "deny-s3", "region-lock"]


def test_tags():
    org = client()
    org.create_organization(FeatureSet="ALL")
    (account,) = create_accounts(org, 1)
    org.tag_resource(ResourceId=account, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    org.tag_resource(ResourceId=account, Tags=[{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "1"}])
    tags = org.list_tags_for_resource(ResourceId=account)["Tags"]
    # Insertion order; a new value keeps its key's place.
    assert tags == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "1"}], tags
    org.untag_resource(ResourceId=account, TagKeys=["env"])
    tags = org.list_tags_for_resource(ResourceId=account)["Tags"]
    assert tags == [{"Key": "team", "Value": "b"}, {"Key": "cost", "Value": "1"}], tags


def test_remove_created_account_at_once():
    org = client()
    org.create_organization(FeatureSet="ALL")
    ids = create_accounts(org, 3)
    org.remove_account_from_organization(AccountId=ids[1])
    listed = org.list_accounts()["Accounts"]
    assert [a["Id"] for a in listed] == [MASTER, ids[0], ids[2]]


def test_errors_keep_their_codes():
    org = client()
    org.create_organization(FeatureSet="ALL")
    root = root_id(org)
    for call, code in [
        (lambda: org.describe_account(AccountId="999999999999"), "AccountNotFoundException"),
        (lambda: org.create_organization(FeatureSet="ALL"), "AlreadyInOrganizationException"),
        (lambda: org.describe_organizational_unit(OrganizationalUnitId="ou-zzzz-zzzzzzzz"),
         "OrganizationalUnitNotFoundException"),
    ]:
        try:
            call()
            raise AssertionError(f"expected {code}")
        except ClientError as e:
            assert e.response["Error"]["Code"] == code, e.response
    org.create_policy(Content=DENY_S3, Description="", Name="dup", Type=SCP)
    try:
        org.create_policy(Content=DENY_S3, Description="", Name="dup", Type=SCP)
        raise AssertionError("duplicate policy created")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "DuplicatePolicyException", e.response
    ou = org.create_organizational_unit(ParentId=root, Name="a")["OrganizationalUnit"]
    org.create_organizational_unit(ParentId=root, Name="b")
    try:
        org.update_organizational_unit(OrganizationalUnitId=ou["Id"], Name="b")
        raise AssertionError("OU renamed to a sibling's name")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "DuplicateOrganizationalUnitException", e.response


def test_delete_organization():
    org = client()
    org.create_organization(FeatureSet="ALL")
    org.delete_organization()
    try:
        org.describe_organization()
        raise AssertionError("organization still there")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AWSOrganizationsNotInUseException", e.response


def main():
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_") and callable(fn)]
    failed = 0
    for name, fn in tests:
        reset()
        try:
            fn()
            print(f"PASS {name}")
        except Exception:  # noqa: BLE001 -- report every failure, then go on
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc(file=sys.stdout)
    print(f"{len(tests) - failed}/{len(tests)} passed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
