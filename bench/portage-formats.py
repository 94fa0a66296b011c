"""Real Portage on binfleet's inputs: the baseline of the formats.* figures and the oracle of the agreement test.

Run with PYTHONPATH=<portage source>/lib. Only parsing modules are imported, so no portage
user, /etc/portage or make.globals is needed.

  portage-formats.py check VERSIONS ATOMS   Portage's answers, one JSON line per input
  portage-formats.py serve                  timed rounds on request, so the caller can alternate
                                            them with its own (both sides then see the same load)

serve reads one request per line and answers each with one JSON line:
  info                      {"python", "cParser"}
  packages PATH             {"ms", "entries"}: PATH read the way binarytree reads $PKGDIR/Packages
  atoms PATH                {"ms", "count"}: portage.dep.Atom(s) for each line of PATH
  vercmp PATH               {"ms", "count"}: portage.versions.vercmp(a, b) for each "A<TAB>B" line
"""

import json
import sys
import time

import portage.dep
from portage.dbapi.bintree import binarytree
from portage.dep import Atom
from portage.exception import InvalidAtom
from portage.versions import vercmp


class _Settings(dict):
    """What binarytree.__init__ reads from portage.config to set up its index reader."""

    features = frozenset()


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")[:-1]


def read_pairs(path):
    return [tuple(line.split("\t")) for line in read_lines(path)]


def load_index(path):
    """$PKGDIR/Packages as binarytree reads it: open, PackageIndex.read with its key map and defaults."""
    tree = binarytree(pkgdir="/nonexistent", settings=_Settings(CHOST="x86_64-pc-linux-gnu"))
    tree._pkgindex_file = path
    return tree._load_pkgindex()


def timed(fn):
    t = time.perf_counter()
    n = fn()
    return (time.perf_counter() - t) * 1000, n


def round_packages(path):
    ms, n = timed(lambda: len(load_index(path).packages))
    return {"ms": ms, "entries": n}


def round_atoms(path):
    atoms = read_lines(path)

    def run():
        for s in atoms:
            Atom(s)
        return len(atoms)

    ms, n = timed(run)
    return {"ms": ms, "count": n}


def round_vercmp(path):
    pairs = read_pairs(path)

    def run():
        for a, b in pairs:
            vercmp(a, b)
        return len(pairs)

    ms, n = timed(run)
    return {"ms": ms, "count": n}


def info():
    return {
        "python": "%d.%d" % sys.version_info[:2],
        "cParser": portage.dep._c_dep_parser is not None,
    }


def serve():
    rounds = {"packages": round_packages, "atoms": round_atoms, "vercmp": round_vercmp}
    for line in sys.stdin:
        cmd, _, arg = line.rstrip("\n").partition(" ")
        out = info() if cmd == "info" else rounds[cmd](arg)
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()


def atom_fields(s):
    try:
        a = Atom(s)
    except InvalidAtom:
        return None
    blocker = None
    if a.blocker:
        blocker = "strong" if a.blocker.overlap.forbid else "weak"
    return {
        "blocker": blocker,
        "operator": a.operator,
        "cp": a.cp,
        "version": a.version,
        "buildId": a.build_id,
        "slot": a.slot,
        "subslot": a.sub_slot,
        "slotOperator": a.slot_operator,
        "repo": a.repo,
        "use": list(a.use.tokens) if a.use else [],
    }


def check(versions, atoms):
    for a, b in read_pairs(versions):
        print(json.dumps({"vercmp": [a, b], "result": vercmp(a, b)}))
    for s in read_lines(atoms):
        print(json.dumps({"atom": s, "result": atom_fields(s)}))


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    elif sys.argv[1:2] == ["check"] and len(sys.argv) == 4:
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
