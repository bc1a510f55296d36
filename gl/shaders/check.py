#!/usr/bin/env python3
"""Validates one GLSL ES shader with glslangValidator.

Usage: check.py GLSLANG SOURCE STAMP DEFINE|NONE

With DEFINE, "#define DEFINE 1" is inserted after the #version line, exactly
as gl/shaders.c composes the program's source at run time.
"""
import os
import subprocess
import sys
import tempfile


def main():
    glslang, source, stamp, define = sys.argv[1:5]
    with open(source) as f:
        text = f.read()
    if define != 'NONE':
        first, rest = text.split('\n', 1)
        text = first + '\n#define ' + define + ' 1\n' + rest
    suffix = os.path.splitext(source)[1]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'shader' + suffix)
        with open(path, 'w') as f:
            f.write(text)
        result = subprocess.run([glslang, path], capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write('%s (%s):\n%s%s' % (source, define, result.stdout, result.stderr))
        return 1
    with open(stamp, 'w') as f:
        f.write('ok\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
