# Copyright 2026 binfleet authors
# Distributed under the terms of the Apache License 2.0

EAPI=8

inherit acct-user

DESCRIPTION="User for the binfleet coordinator"
ACCT_USER_ID=-1
ACCT_USER_HOME=/var/lib/binfleet
ACCT_USER_GROUPS=( binfleet )

acct-user_add_deps
