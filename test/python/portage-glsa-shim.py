#!/usr/bin/env python3
# Test asset: real Portage's glsa module (lib/portage/glsa.py) on given package sets, for the
# differential test glsa-portage.test.ts. Run with PYTHONPATH=<portage source>/lib.
#
# stdin: one JSON object per line,
#   {"file": "/abs/glsa.xml", "arch": "amd64",
#    "installed": [{"cpv": "cat/pkg-1.2-r1", "slot": "0"}], "available": [...]}
# stdout: one line each,
#   {"vulnerable": bool, "minUpgrade": [...], "affected": [[installed, upgrade or ""], ...]}
#   or {"error": "<exception class>: <message>"} where Portage raises.
#
# Faithfulness: glsa.py only calls dbapi.match(atom) and dbapi._pkg_str(cpv, None).slot on
# its vardb and portdb. Portage's own fakedbapi implements both with the same code path as
# vardbapi/portdbapi (dep_expand, match_from_list, _iter_match_slot, _pkg_str from aux_get
# metadata), so the sets below are vardb ("installed") and portdb ("available": the visible
# ebuilds, which is all portdbapi.match, i.e. xmatch("match-visible"), returns). Both are
# sets: exclusive_slots=False keeps every given cpv, as the TypeScript side does.
# Glsa.config is read only for ARCH (and GLSA_DIR/PORTDIR, unused for a file path).
import json
import sys

from portage.dbapi.virtual import fakedbapi
from portage.glsa import Glsa


def db(packages):
    d = fakedbapi(settings={}, exclusive_slots=False)
    for p in packages:
        d.cpv_inject(p["cpv"], metadata={"SLOT": p.get("slot", "0")})
    return d


def verdict(glsa, case):
    glsa.config = {"ARCH": case["arch"], "PORTDIR": "/nonexistent"}
    glsa.vardbapi = db(case["installed"])
    glsa.portdbapi = db(case["available"])
    vulnerable = glsa.isVulnerable()
    # glsa-check computes upgrades only for a vulnerable system (its fix and pretend modes).
    if not vulnerable:
        return {"vulnerable": False, "minUpgrade": [], "affected": []}
    return {
        "vulnerable": True,
        "minUpgrade": sorted(str(u) for u in glsa.getMergeList(least_change=True)),
        "affected": sorted([str(v), str(u)] for v, u in glsa.getAffectionTable(least_change=True)),
    }


def main():
    parsed = {}
    for line in sys.stdin:
        case = json.loads(line)
        try:
            path = case["file"]
            if path not in parsed:
                try:
                    parsed[path] = Glsa(path, {"PORTDIR": "/nonexistent"}, None, None)
                except Exception as e:  # a parse failure is that file's answer for every case
                    parsed[path] = e
            glsa = parsed[path]
            if isinstance(glsa, Exception):
                raise glsa
            out = verdict(glsa, case)
        except Exception as e:
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
