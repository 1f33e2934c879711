#!/usr/bin/env python3
"""golden.py: runs rclone's bisync golden scenarios against duet.

Each case of ../shared/rclone-bisync-testdata (see its README) is played
step by step: the file operations are done here, every `bisync` step runs
`duet bisync` with the harness's fixed flags. A case passes when

  1. each bisync step ends as rclone's did (success 0, "Please try again" 1,
     critical 7), read from golden/test.log;
  2. the listings duet stores, exported in rclone's .lst format, equal the
     golden *.path1.lst / *.path2.lst (header dropped, lines sorted, hash
     column compared only where both keep the same hash kind), and so do the
     copy-listings / move-listings snapshots.

Log text is not compared. A difference listed in deviations.txt (case, item,
reason) is reported but allowed; the rest of that case still checks.

Usage: golden.py --duet BIN [--data DIR] [--case a,b] [--keep] [-v]
                 [--remote1 PREFIX] [--remote2 PREFIX] [--config FILE]

--remote1/--remote2 put a remote in front of a root (and of that side's
backup dir), e.g. "srv:" for an SFTP remote in --config whose server sees
this machine's files (an sshd on loopback, see sftp.sh): the scenario's
file operations stay local, duet reaches that side through the remote.
--mirror TOOL is for remotes that do not see this machine's files (S3,
Azure Blob): the scenario's file operations act on the local roots, which
then shadow the remote ones. Before each bisync step every remote root is
made equal to its shadow (TOOL sync shadow remote), and after it the
shadow to the remote (TOOL sync remote shadow), so the next operations
see what bisync did. TOOL is "rclone" (an independent implementation,
reading the same --config) or a duet binary.
Also used as the bisync test hook: golden.py hook KIND PATH1 PATH2 DATADIR.
"""
import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
EPOCH_2000 = 946684800  # 2000-01-01T00:00:00Z
ANSI = re.compile(r"\x1b\[[0-9;]*m")
STEP = re.compile(r"^\((\d+)\)\s+:\s+(.*)$")
LST_NAME = re.compile(r"^(?:(.+?)\.)?(_testdir_.*)\.path([12])\.lst$")


def canon(path):
    """rclone's session-name canonicalisation of one root."""
    s = path.strip("/\\")
    return re.sub(r"[\s\\/:?*]", "_", s)


def date_ts(d):
    import calendar
    import time
    return calendar.timegm(time.strptime(d, "%Y-%m-%d"))


def set_mtime(path, ts):
    os.utime(path, (ts, ts), follow_symlinks=False)


def copy_file(src, dst):
    os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
    shutil.copyfile(src, dst)
    st = os.stat(src)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


def copy_tree(src, dst, sync):
    """rclone copy/sync with empty dirs, .DS_Store and *.partial excluded."""
    def skip(name):
        return name == ".DS_Store" or name.endswith(".partial")
    os.makedirs(dst, exist_ok=True)
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        out = os.path.join(dst, rel) if rel != "." else dst
        os.makedirs(out, exist_ok=True)
        for f in files:
            if not skip(f):
                copy_file(os.path.join(root, f), os.path.join(out, f))
    if not sync:
        return
    for root, dirs, files in os.walk(dst, topdown=False):
        rel = os.path.relpath(root, dst)
        srcdir = os.path.join(src, rel) if rel != "." else src
        for f in files:
            if not skip(f) and not os.path.exists(os.path.join(srcdir, f)):
                os.remove(os.path.join(root, f))
        for d in dirs:
            if not os.path.exists(os.path.join(srcdir, d)):
                shutil.rmtree(os.path.join(root, d))


def run_hook(kind, path1, path2, datadir):
    """The scenario's test functions, run by duet just before each sync."""
    src = os.path.join(datadir, "file7.txt")
    if kind == "test-func":
        for i in range(0, 50):
            copy_file(src, os.path.join(path2, "file%d.txt" % i))
        for i in range(100, 50, -1):
            copy_file(src, os.path.join(path1, "file%d.txt" % i))
    elif kind == "concurrent-func":
        copy_file(src, os.path.join(path2, "file1.txt"))


class Lst:
    """One .lst file as a sorted list of comparable lines."""

    LINE = re.compile(r'^(\S) +(-?\d+) (\S+) (\S+) (\S+) (".*")$')

    def __init__(self, text, nfc=False):
        self.rows = []
        self.bad = []
        self.renormalised = 0
        for line in text.split("\n"):
            if line == "" or line.startswith("#"):
                continue
            m = self.LINE.match(line)
            if not m:
                self.bad.append(line)
                continue
            flags, size, hsh, _, mtime, name = m.groups()
            if nfc and unicodedata.normalize("NFC", name) != name:
                name = unicodedata.normalize("NFC", name)
                self.renormalised += 1
            self.rows.append((name, flags, size, hsh, mtime))
        self.rows.sort()

    def diff(self, other):
        """Differences between self (golden) and other (duet), as text."""
        out = []
        a = {r[0]: r for r in self.rows}
        b = {r[0]: r for r in other.rows}
        for name in sorted(set(a) | set(b)):
            ga, gb = a.get(name), b.get(name)
            if ga is None:
                out.append("  extra in duet:   %s" % (gb,))
            elif gb is None:
                out.append("  missing in duet: %s" % (ga,))
            else:
                ha, hb = ga[3], gb[3]
                same_kind = ha != "-" and hb != "-" and ha.split(":")[0] == hb.split(":")[0]
                if ga[1:3] != gb[1:3] or ga[4] != gb[4] or (same_kind and ha != hb):
                    out.append("  golden %s\n    duet %s" % (ga, gb))
        for line in self.bad + other.bad:
            out.append("  unparsable line: %r" % line)
        return out


class Case:
    def __init__(self, args, name, deviations):
        self.args = args
        self.name = name
        self.src = os.path.join(args.data, name)
        self.dev = deviations.get(name, {})
        self.used_dev = set()
        self.failures = []
        self.notes = []
        self.base = tempfile.mkdtemp(prefix="duet-golden-")
        # {testdir/} is a copy of the case's own folder (initial/, modfiles/),
        # which the scenario may touch; the roots live beside it.
        self.rundir = os.path.join(self.base, name) + "/"
        self.testdir = os.path.join(self.base, "src", name) + "/"
        self.path1 = self.rundir + "path1/"
        self.path2 = self.rundir + "path2/"
        self.workdir = os.path.join(self.base, "workdir") + "/"
        self.datadir = self.testdir + "modfiles/"
        self.hook = None
        self.staged = {}     # rclone .lst files written into the workdir
        self.snapshots = {}  # copy-listings: golden-style name -> text
        self.prefix = (args.remote1 or "", args.remote2 or "")
        self.roots = self.remote_roots(self.path1, self.path2)
        self.expected = self.golden_outcomes()

    # ---- set-up ------------------------------------------------------
    def setup(self):
        os.makedirs(self.workdir)
        copy_tree(self.src, self.testdir, False)
        os.makedirs(self.datadir, exist_ok=True)
        init = os.path.join(self.testdir, "initial")
        os.makedirs(init, exist_ok=True)
        for root, dirs, files in os.walk(init):
            for f in files:
                set_mtime(os.path.join(root, f), EPOCH_2000)
        for p in (self.path1, self.path2):
            copy_tree(init, p, False)

    def golden_outcomes(self):
        """Step number -> expected exit code of each golden bisync step."""
        out = {}
        path = os.path.join(self.src, "golden", "test.log")
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = ANSI.sub("", f.read())
        step, cmd, seg = None, None, []

        def close():
            if step is None or not cmd.startswith("bisync"):
                return
            body = "\n".join(seg)
            if "Bisync successful" in body:
                out[step] = 0
            elif "Must run --resync" in body or "Bisync critical error" in body:
                out[step] = 7
            elif "Bisync aborted. Please try again" in body or "Bisync error:" in body:
                out[step] = 1
            else:
                out[step] = None
        for line in text.split("\n"):
            m = STEP.match(line)
            if m:
                close()
                step, cmd, seg = int(m.group(1)), m.group(2), []
            else:
                seg.append(line)
        close()
        return out

    # ---- helpers -----------------------------------------------------
    def remote_roots(self, r1, r2):
        return (self.prefix[0] + r1, self.prefix[1] + r2)

    def local_roots(self):
        return tuple(r[len(p):] for r, p in zip(self.roots, self.prefix))

    def session_of(self, r1, r2):
        return canon(r1) + ".." + canon(r2)

    def golden_session(self, session):
        # A remote root's session name differs from the local one's only
        # by the remote's name: map it back first.
        session = session.replace(self.session_of(*self.roots),
                                  self.session_of(*self.local_roots()))
        return session.replace(canon(self.rundir) + "_", "_testdir_")

    def log(self, msg):
        if self.args.verbose:
            print("    " + msg)

    def duet(self, argv, env=None):
        if self.args.config:
            argv = ["--config", self.args.config] + argv
        return subprocess.run([self.args.duet] + argv, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)

    def export(self):
        """The pair's stored listings as {golden name: text}; {} if none."""
        out = {}
        tmp = tempfile.mkdtemp(dir=self.base)
        r = self.duet(["bisync-listings", "export", self.roots[0], self.roots[1], tmp,
                       "--workdir", self.workdir])
        if r.returncode == 0:
            for f in os.listdir(tmp):
                with open(os.path.join(tmp, f), encoding="utf-8", errors="surrogateescape") as fh:
                    out[self.golden_session(f)] = fh.read()
        shutil.rmtree(tmp)
        return out

    def workdir_lst(self, dst):
        """A .lst written into the workdir by the scenario: import when both
        sides are staged (that is how a user hands rclone's listings to duet)."""
        m = re.search(r"\.path([12])\.lst$", dst)
        if not m or not os.path.abspath(dst).startswith(os.path.abspath(self.workdir)):
            return False
        self.staged[m.group(1)] = dst
        if len(self.staged) == 2:
            tmp = tempfile.mkdtemp(dir=self.base)
            session = self.session_of(*self.roots)
            for side, f in self.staged.items():
                shutil.copyfile(f, os.path.join(tmp, "%s.path%s.lst" % (session, side)))
            r = self.duet(["bisync-listings", "import", self.roots[0], self.roots[1], tmp,
                           "--workdir", self.workdir])
            if r.returncode != 0:
                self.fail("import of injected listings failed: %s" % r.stdout.decode(errors="replace"))
            self.staged = {}
            shutil.rmtree(tmp)
        return True

    def fail(self, msg):
        self.failures.append(msg)

    def deviation(self, item):
        reason = self.dev.get(item)
        if reason is not None:
            self.used_dev.add(item)
        return reason

    # ---- the scenario --------------------------------------------------
    def substitute(self, line):
        session = self.session_of(self.path1, self.path2)
        for k, v in (("{datadir/}", self.datadir), ("{testdir/}", self.testdir),
                     ("{workdir/}", self.workdir), ("{path1/}", self.path1),
                     ("{path2/}", self.path2), ("{session}", session), ("{/}", "/")):
            line = line.replace(k, v)
        toks = []
        for t in line.split():
            t = t.replace("{spc}", " ").replace("{tab}", "\t").replace("{eol}", "\n")
            t = re.sub(r"\{chr:([0-9a-f]{2})\}",
                       lambda m: bytes([int(m.group(1), 16)]).decode("utf-8", "surrogateescape"), t)
            toks.append(t)
        return toks

    def run(self):
        self.setup()
        step = 0
        with open(os.path.join(self.src, "scenario.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        for raw in lines:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            step += 1
            toks = self.substitute(line)
            self.log("(%02d) %s" % (step, line))
            try:
                self.do(step, toks)
            except Exception as e:  # a harness step failed: the case fails
                self.fail("step %02d %s: %s" % (step, line, e))
        self.compare()

    def do(self, step, t):
        cmd, a = t[0], t[1:]
        if cmd == "test":
            return
        if cmd == "bisync":
            return self.bisync(step, a)
        if cmd in ("copy-file", "copy-as", "copy-as-NFC", "copy-as-NFD"):
            name = a[2] if len(a) > 2 else os.path.basename(a[0])
            dstdir = a[1]
            if cmd != "copy-file" and cmd != "copy-as":
                form = cmd[-3:]
                dstdir = unicodedata.normalize(form, dstdir)
                name = unicodedata.normalize(form, name)
            dst = os.path.join(dstdir, name)
            copy_file(a[0], dst)
            self.workdir_lst(dst)
            return
        if cmd == "touch-copy":
            set_mtime(a[1], date_ts(a[0]))
            return copy_file(a[1], os.path.join(a[2], os.path.basename(a[1])))
        if cmd == "touch-glob":
            ts = date_ts(a[0])
            for f in os.listdir(a[1]):
                p = os.path.join(a[1], f)
                if os.path.isfile(p) and fnmatch.fnmatchcase(f, a[2]):
                    set_mtime(p, ts)
            return
        if cmd == "delete-file":
            return os.remove(a[0])
        if cmd == "delete-glob":
            for f in os.listdir(a[0]):
                p = os.path.join(a[0], f)
                if os.path.isfile(p) and fnmatch.fnmatchcase(f, a[1]):
                    os.remove(p)
            return
        if cmd == "purge-children":
            for f in os.listdir(a[0]):
                p = os.path.join(a[0], f)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p)
                else:
                    os.remove(p)
            return
        if cmd in ("copy-dir", "sync-dir"):
            return copy_tree(a[0], a[1], cmd == "sync-dir")
        if cmd in ("list-dirs", "list-files", "fix-names"):
            return  # logging only; ext4 keeps names as written
        if cmd in ("copy-listings", "move-listings"):
            got = self.export()
            for k, v in got.items():
                self.snapshots[a[0] + "." + k] = v
            if cmd == "move-listings" and got:
                r = self.duet(["bisync-listings", "forget", self.roots[0], self.roots[1],
                               "--workdir", self.workdir])
                if r.returncode != 0:
                    raise RuntimeError("forget failed: %s" % r.stdout.decode(errors="replace"))
            return
        if cmd in ("test-func", "concurrent-func"):
            self.hook = cmd
            return
        raise RuntimeError("unknown scenario command %s" % cmd)

    def bisync(self, step, opts):
        flags = {"--workdir": self.workdir, "--no-cleanup": None, "--max-delete": "50",
                 "--check-filename": "RCLONE_TEST", "--check-sync": "true"}
        extra = []
        r1, r2 = self.path1, self.path2
        simple = {"resync": "--resync", "dry-run": "--dry-run", "force": "--force",
                  "create-empty-src-dirs": "--create-empty-src-dirs",
                  "remove-empty-dirs": "--remove-empty-dirs", "check-access": "--check-access",
                  "size-only": "--size-only", "ignore-size": "--ignore-size",
                  "ignore-listing-checksum": "--ignore-listing-checksum"}
        valued = {"check-filename": "--check-filename", "filters-file": "--filters-file",
                  "max-delete": "--max-delete", "backupdir1": "--backup-dir1",
                  "backupdir2": "--backup-dir2", "conflict-resolve": "--conflict-resolve",
                  "conflict-loser": "--conflict-loser", "conflict-suffix": "--conflict-suffix",
                  "resync-mode": "--resync-mode"}
        for o in opts:
            k, _, v = o.partition("=")
            if k in simple:
                extra.append(simple[k])
            elif k in valued:
                flags[valued[k]] = v
            elif k == "check-sync-only":
                flags["--check-sync"] = "only"
            elif k == "no-check-sync":
                flags["--check-sync"] = "false"
            elif k == "checksum":
                extra += ["--checksum", "--download-hash"]
            elif k == "compare-all":
                extra += ["--compare", "size,modtime,checksum", "--download-hash"]
            elif k == "nomodtime":
                extra += ["--checksum", "--compare", "size,checksum", "--download-hash"]
            elif k == "subdir":
                r1, r2 = r1 + v, r2 + v
            elif k == "no-norm":
                extra.append("--no-unicode-normalization")
            elif k == "norm":
                extra.append("--ignore-case-sync")
            elif k == "fix-case":
                extra += ["--ignore-case-sync", "--fix-case"]
            else:
                raise RuntimeError("unknown bisync option %s" % o)
        self.roots = self.remote_roots(r1, r2)
        for i, k in enumerate(("--backup-dir1", "--backup-dir2")):
            if k in flags:
                flags[k] = self.prefix[i] + flags[k]
        r1, r2 = self.roots
        for p in (self.path1, self.path2):
            for root, dirs, files in os.walk(p):
                for d in dirs:
                    set_mtime(os.path.join(root, d), EPOCH_2000)
        argv = ["bisync", r1, r2]
        for k, v in flags.items():
            argv += [k] if v is None else [k, v]
        argv += extra
        env = dict(os.environ)
        if self.hook:
            env["DUET_TEST_HOOK_BEFORE_SYNC"] = "%s %s hook %s '%s' '%s' '%s'" % (
                sys.executable, os.path.abspath(__file__), self.hook, self.path1, self.path2,
                self.datadir)
        self.mirror(push=True)
        r = self.duet(argv, env)
        self.mirror(push=False)
        out = r.stdout.decode("utf-8", errors="replace")
        if self.args.verbose:
            for line in out.rstrip("\n").split("\n"):
                print("      | " + line)
        want = self.expected.get(step)
        if want is None:
            self.fail("step %02d: the golden log has no outcome for it" % step)
        elif r.returncode != want:
            reason = self.deviation("step:%02d" % step)
            msg = "step %02d (bisync %s): exit %d, rclone's was %d" % (
                step, " ".join(opts), r.returncode, want)
            if reason:
                self.notes.append("deviation: %s (%s)" % (msg, reason))
            else:
                self.fail(msg + "\n" + "\n".join("      | " + l for l in out.split("\n")[-15:]))

    def mirror(self, push):
        """--mirror: remote roots follow their local shadows (push) or the
        shadows follow the remote roots (pull)."""
        if not self.args.mirror:
            return
        for prefix, local in zip(self.prefix, (self.path1, self.path2)):
            if not prefix:
                continue
            src, dst = (local, prefix + local) if push else (prefix + local, local)
            argv = [self.args.mirror, "sync", src, dst, "--create-empty-src-dirs"]
            if self.args.config:
                argv += ["--config", self.args.config]
            # rclone 1.60's S3 client fails on AWS_CA_BUNDLE with a custom
            # transport ("LoadCustomCABundleError"): leave it out.
            env = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
            r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env)
            if r.returncode != 0:
                raise RuntimeError("mirror %s -> %s failed (exit %d): %s" % (
                    src, dst, r.returncode, r.stdout.decode(errors="replace")[-2000:]))

    # ---- the comparison ------------------------------------------------
    def compare(self):
        ours = dict(self.snapshots)
        ours.update(self.export())
        gdir = os.path.join(self.src, "golden")
        golden = {}
        for f in os.listdir(gdir):
            g = f[:-4] if f.endswith(".sav") else f
            if LST_NAME.match(g):
                with open(os.path.join(gdir, f), encoding="utf-8", errors="surrogateescape") as fh:
                    golden[g] = fh.read()
        # names:nfc: the golden listings were made where names are read
        # back NFC (rclone's local backend on macOS); names are compared
        # NFC-normalised, everything else as is.
        nfc = "names:nfc" in self.dev
        for name in sorted(set(golden) | set(ours)):
            item = "listing:" + name
            if name not in ours or name not in golden:
                msg = "%s: %s" % (name, "missing in duet" if name not in ours else "not in golden")
                problems = [msg]
            else:
                mine = Lst(ours[name], nfc)
                problems = Lst(golden[name], nfc).diff(mine)
                if mine.renormalised:
                    reason = self.deviation("names:nfc")
                    self.notes.append("deviation: %s: %d name(s) compared NFC-normalised (%s)" % (
                        name, mine.renormalised, reason))
                if problems:
                    problems.insert(0, "%s differs:" % name)
            if not problems:
                continue
            reason = self.deviation(item)
            if reason:
                self.notes.append("deviation: %s (%s)" % (problems[0], reason))
            else:
                self.fail("\n".join(problems))
        for item in set(self.dev) - self.used_dev:
            self.notes.append("deviation listed but not seen: %s" % item)


def load_deviations(path):
    out = {}
    if not os.path.exists(path):
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 2)
            if len(parts) < 3:
                sys.exit("deviations.txt: want CASE ITEM REASON: %s" % line)
            out.setdefault(parts[0], {})[parts[1]] = parts[2]
    return out


def load_pending(path):
    """Cases not passing yet (work in progress, not deviations): CASE REASON."""
    out = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    name, _, reason = line.partition(" ")
                    out[name] = reason.strip()
    return out


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "hook":
        run_hook(*sys.argv[2:6])
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--duet", required=True)
    ap.add_argument("--data", default=os.environ.get("DUET_SHARED", os.path.join(
        HERE, "..", "..", "..", "shared")) + "/rclone-bisync-testdata")
    ap.add_argument("--case", default="all")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--remote1", help="remote prefix of Path1, e.g. srv:")
    ap.add_argument("--remote2", help="remote prefix of Path2, e.g. srv:")
    ap.add_argument("--config", help="duet's config file (defines the remotes)")
    ap.add_argument("--mirror", help="rclone or a duet binary: remote roots shadowed locally")
    args = ap.parse_args()
    args.duet = os.path.abspath(args.duet)
    if not os.path.isdir(args.data):
        sys.exit("golden.py: no test data at %s: put ../shared beside the clone or set DUET_SHARED"
                 % args.data)
    devs = load_deviations(os.path.join(HERE, "deviations.txt"))
    pending = load_pending(os.path.join(HERE, "pending.txt"))
    names = sorted(d for d in os.listdir(args.data) if d.startswith("test_")) \
        if args.case == "all" else ["test_" + c if not c.startswith("test_") else c
                                    for c in args.case.split(",")]
    failed, waiting = [], 0
    for n in names:
        c = Case(args, n, devs)
        try:
            c.run()
        finally:
            if not args.keep:
                shutil.rmtree(c.base, ignore_errors=True)
        status = "FAIL" if c.failures else "ok"
        if n in pending:
            # Work not done yet, said so in pending.txt: reported, not failed.
            # A pending case that passes must leave the list.
            if c.failures:
                status, c.failures = "pending (%s)" % pending[n], []
                c.notes = []
                waiting += 1
            else:
                status = "FAIL"
                c.failures = ["passes now: remove it from pending.txt"]
        print("%-28s %s" % (n, status))
        for note in c.notes:
            print("    " + note)
        for msg in c.failures:
            print("    " + msg.replace("\n", "\n    "))
        if c.failures:
            failed.append(n)
    print("%d of %d cases pass, %d pending, %d failed" % (
        len(names) - len(failed) - waiting, len(names), waiting, len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
