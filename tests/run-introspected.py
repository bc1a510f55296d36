#!/usr/bin/env python3
"""Runs the tests of a configured build without meson (for machines that have the
build directory but not meson, such as a lent GPU machine):

    run-introspected.py BUILD_DIR [SUITE...]

Reads BUILD_DIR/meson-info/intro-tests.json, runs each test (of the given
suites, or all) with its environment, prints one line per test like meson and a
closing line "N passed, N failed, N skipped". Exit status 1 on any failure.
"""
import json
import os
import subprocess
import sys


def main():
    build = sys.argv[1]
    suites = set(sys.argv[2:])
    with open(os.path.join(build, 'meson-info', 'intro-tests.json')) as f:
        tests = json.load(f)
    counts = {'passed': 0, 'failed': 0, 'skipped': 0}
    for t in tests:
        names = {s.split(':', 1)[-1] for s in t.get('suite', [])}
        if suites and not names & suites:
            continue
        env = dict(os.environ)
        env.update(t.get('env') or {})
        # The machine's own library path (loaders carried beside the tree) stays
        # behind the build's.
        if os.environ.get('LD_LIBRARY_PATH') and 'LD_LIBRARY_PATH' in (t.get('env') or {}):
            env['LD_LIBRARY_PATH'] = t['env']['LD_LIBRARY_PATH'] + ':' + \
                os.environ['LD_LIBRARY_PATH']
        label = '{} / {}'.format('+'.join(sorted(names)), t['name'])
        cmd = list(t['cmd'])
        # A Python test names the interpreter of the machine that configured
        # the build, which may not exist here.
        if os.path.basename(cmd[0]).startswith('python') and not os.path.exists(cmd[0]):
            cmd[0] = sys.executable
        try:
            p = subprocess.run(cmd, env=env, cwd=t.get('workdir') or build,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               timeout=t.get('timeout') or 300)
            rc, out = p.returncode, p.stdout.decode(errors='replace')
        except subprocess.TimeoutExpired as e:
            rc, out = -1, (e.stdout or b'').decode(errors='replace') + '\nTIMEOUT'
        except OSError as e:
            rc, out = -2, 'cannot run {}: {}'.format(cmd[0], e)
        skipped_cases = [l.strip() for l in out.splitlines()
                         if l.strip().startswith('[  SKIPPED ]') and 'listed below' not in l]
        skipped_cases = list(dict.fromkeys(skipped_cases))
        if rc == 77:
            result = 'SKIP'
            counts['skipped'] += 1
        elif rc == 0:
            result = 'OK'
            counts['passed'] += 1
            counts['skipped'] += len(skipped_cases)
        else:
            result = 'FAIL ({})'.format(rc)
            counts['failed'] += 1
        print('{:60} {}'.format(label, result), flush=True)
        if result != 'OK' or skipped_cases:
            tail = out.strip().splitlines()[-25:] if result.startswith('FAIL') else \
                out.strip().splitlines()[-1:] + skipped_cases
            for line in tail:
                print('    ' + line)
    print('{passed} passed, {failed} failed, {skipped} skipped'.format(**counts))
    return 1 if counts['failed'] else 0


if __name__ == '__main__':
    sys.exit(main())
