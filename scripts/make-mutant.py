#!/usr/bin/python3
"""Write tests/mutants/NAME.patch: one textual change to one source file.
  make-mutant.py NAME FILE 'old text' 'new text' 'what protection it removes'
The old text must occur exactly once. The patch is a unified diff that
scripts/run-mutants.sh applies with patch -p1."""
import difflib
import sys

name, path, old, new, why = sys.argv[1:6]
src = open(path).read()
if src.count(old) != 1:
    sys.exit('%s: the old text occurs %d times' % (path, src.count(old)))
mut = src.replace(old, new)
diff = difflib.unified_diff(src.splitlines(True), mut.splitlines(True), 'a/' + path, 'b/' + path)
with open('tests/mutants/%s.patch' % name, 'w') as f:
    f.write('Mutant: %s\n\n' % why)
    f.writelines(diff)
