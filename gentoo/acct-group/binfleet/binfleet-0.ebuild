# Copyright 2026 binfleet authors
# Distributed under the terms of the Apache License 2.0

EAPI=8

inherit acct-group

DESCRIPTION="Group for the binfleet coordinator"
ACCT_GROUP_ID=-1
