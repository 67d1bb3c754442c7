"""Verified SigV4 against a second real signer: botocore's.

Runs against an orgd started with a credentials file in which ORGD_KEY (secret ORGD_SECRET)
is a management account. Prints one PASS or FAIL line per case and exits 1 on any FAIL.
"""
import datetime
import os
import sys

import boto3
import botocore.auth
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["ORGD_ENDPOINT"]
KEY = os.environ["ORGD_KEY"]
SECRET = os.environ["ORGD_SECRET"]
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")

failed = False


def client(key=KEY, secret=SECRET, **config):
    return boto3.client("organizations", endpoint_url=ENDPOINT, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"mode": "standard", "max_attempts": 1}, **config))


def check(name, call, code, message=None, prefix=None):
    global failed
    try:
        call()
    except ClientError as e:
        got, msg = e.response["Error"]["Code"], e.response["Error"]["Message"]
        if got == code and (message is None or msg == message) and (prefix is None or msg.startswith(prefix)):
            print("PASS", name)
            return
        print("FAIL", name, "got", got, repr(msg))
    else:
        print("FAIL", name, "succeeded, want", code)
    failed = True


def right_secret():
    global failed
    org = client().create_organization(FeatureSet="ALL")["Organization"]
    got = client().describe_organization()["Organization"]["Id"]
    if got != org["Id"]:
        print("FAIL right secret: describes", got, "not", org["Id"])
        failed = True
        return
    print("PASS right secret")


def tampered_body():
    c = client()

    def tamper(request, **kwargs):
        # After signing: one byte of the JSON body changes.
        request.body = request.body.replace(b"5", b"4")

    c.meta.events.register("before-send.organizations.ListAccounts", tamper)
    c.list_accounts(MaxResults=5)


def stale_date():
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: real() - datetime.timedelta(minutes=6)
    try:
        client().describe_organization()
    finally:
        botocore.auth.get_current_datetime = real


right_secret()
check("wrong secret", lambda: client(secret="wrong").describe_organization(), "InvalidSignatureException", MISMATCH)
check("tampered body", tampered_body, "InvalidSignatureException", MISMATCH)
check("stale date", stale_date, "InvalidSignatureException", prefix="Signature expired: ")
check("unknown key", lambda: client(key="AKIAUNKNOWN").describe_organization(), "UnrecognizedClientException",
      "The security token included in the request is invalid.")
check("unsigned", lambda: client(signature_version=UNSIGNED).describe_organization(),
      "MissingAuthenticationTokenException", "Missing Authentication Token")
sys.exit(1 if failed else 0)
