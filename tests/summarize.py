#!/usr/bin/env python3
"""Summarizes meson test logs (meson-logs/testlog.json).

summarize.py LOG [REQUIRED_SUITES]   per-run summary; lists skips with their reason;
                                     a skip in a required suite is an error (exit 1)
summarize.py --total LOG...          one closing line over all runs:
                                     "N passed, N failed, N skipped"

A cmocka case skipped inside a test binary that passed counts as a skip too
(cmocka prints "[  SKIPPED ] name"), and so does a binary that skipped inside
the DRM test VM ("=== name: SKIP"): a skip is never counted as a pass.
"""
import json
import sys


def load(path):
    results = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                results.append(json.loads(line))
    return results


def suites_of(result):
    # meson names a test "project:suite1+suite2 / name"
    head = result['name'].split(' / ')[0]
    return set(head.split(':', 1)[-1].split('+'))


def skipped_cases(result):
    """Names of cmocka cases skipped inside a binary that otherwise passed."""
    if result['result'] not in ('OK', 'EXPECTEDFAIL'):
        return []
    names = []
    for line in (result.get('stdout') or '').splitlines():
        line = line.strip()
        name = None
        if line.startswith('[  SKIPPED ]') and not line.endswith('test(s), listed below:'):
            name = line[len('[  SKIPPED ]'):].strip()
        elif line.startswith('=== ') and ': SKIP' in line:
            # a binary run by tests/drm/vm-suite.sh inside the test VM
            name = line[4:line.index(': SKIP')]
        if name and name not in names:
            names.append(name)
    return names


def reason(result):
    out = (result.get('stdout') or '').strip().splitlines()
    return out[-1] if out else '(no reason printed)'


def main():
    args = sys.argv[1:]
    if args and args[0] == '--total':
        counts = {'passed': 0, 'failed': 0, 'skipped': 0}
        for path in args[1:]:
            for r in load(path):
                res = r['result']
                counts['skipped'] += len(skipped_cases(r))
                if res in ('OK', 'EXPECTEDFAIL'):
                    counts['passed'] += 1
                elif res == 'SKIP':
                    counts['skipped'] += 1
                else:
                    counts['failed'] += 1
        print('{passed} passed, {failed} failed, {skipped} skipped'.format(**counts))
        return 1 if counts['failed'] else 0

    path = args[0]
    required = set(args[1].split()) if len(args) > 1 else set()
    bad = 0
    for r in load(path):
        must = suites_of(r) & required
        for case in skipped_cases(r):
            tag = 'SKIP (not allowed here)' if must else 'SKIP'
            print('{}: {} / {}: case skipped inside a passing test'.format(
                tag, r['name'], case))
            if must:
                bad += 1
        if r['result'] != 'SKIP':
            continue
        must = suites_of(r) & required
        tag = 'SKIP (not allowed here)' if must else 'SKIP'
        print('{}: {}: {}'.format(tag, r['name'], reason(r)))
        if must:
            bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
