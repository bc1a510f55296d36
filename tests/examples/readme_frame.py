"""Checks that the C block under "## A frame" in README.md is the given file."""
import sys

readme, source = sys.argv[1], sys.argv[2]
text = open(readme, encoding="utf-8").read()
start = text.index("## A frame")
block_start = text.index("```c\n", start) + len("```c\n")
block_end = text.index("```", block_start)
block = text[block_start:block_end]
want = open(source, encoding="utf-8").read()
if block != want:
    print(f"the C block under '## A frame' in {readme} differs from {source}")
    sys.exit(1)
print(f"{readme} quotes {source} whole")
