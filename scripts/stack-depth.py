#!/usr/bin/env python3
"""The deepest EL2 stack of KCore's Linux object (make stack-depth).

Reads GCC's call graphs with stack usage (-fcallgraph-info=su: one .ci file
per object of build/linux-kcore) and, from every entry point the nVHE glue
calls (arch/arm64/linux/exports.txt), finds the deepest chain of frames.
Indirect calls are resolved by arch/arm64/linux/stack-indirect.txt (caller:
the functions it may call through a pointer); an indirect call it does not
list, recursion, or a function with dynamic stack use fails the check, and
so does a depth above --limit (the budget KCore has on the nVHE hyp stack,
which is one page in 6.1, after pKVM's own frames on the way in).

  stack-depth.py --limit BYTES --entries exports.txt --indirect FILE CI...
  stack-depth.py --self-test
"""
import re
import sys

NODE = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
EDGE = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
SU = re.compile(r'\\n(\d+) bytes \((static|dynamic|dynamic,bounded)\)')


def parse(paths):
    frame, calls, dynamic = {}, {}, set()
    for p in paths:
        with open(p) as f:
            text = f.read()
        for title, label in NODE.findall(text):
            m = SU.search(label)
            if m:
                frame[title] = max(frame.get(title, 0), int(m.group(1)))
                if m.group(2) != 'static':
                    dynamic.add(title)
        for src, dst in EDGE.findall(text):
            calls.setdefault(src, set()).add(dst)
    return frame, calls, dynamic


def read_list(path):
    out = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line:
                out.append(line)
    return out


ASM = re.compile(r'^(\S+)\((\d+)\)$')


def read_indirect(path):
    """caller: targets. A caller written name(N) is an assembly function
    (no call graph of its own) that uses N bytes of the stack and then runs
    the targets on it (the guest vectors' fast paths on top of the world
    switch's frames): its targets are its callees, whatever calls it."""
    table = {}
    for line in read_list(path):
        caller, _, targets = line.partition(': ')
        table[caller.strip()] = targets.split()
    return table


def asm_frames(indirect):
    frames = {}
    for caller in list(indirect):
        m = ASM.match(caller)
        if m:
            frames[m.group(1)] = int(m.group(2))
            indirect[m.group(1)] = indirect.pop(caller)
    return frames


def deepest(entry, frame, calls, dynamic, indirect, errors, asm=None):
    memo = {}
    asm = asm or {}

    def walk(fn, stack):
        if fn in stack:
            errors.append('recursion: ' + ' -> '.join(stack[stack.index(fn):] + [fn]))
            return 0, [fn]
        if fn in memo:
            return memo[fn]
        if fn in dynamic:
            errors.append('dynamic stack use in ' + fn)
        best, path = 0, []
        callees = set(calls.get(fn, ()))
        if fn in asm:
            callees |= set(indirect[fn])
        for callee in sorted(callees):
            targets = [callee]
            if callee == '__indirect_call':
                if fn not in indirect:
                    errors.append('an indirect call in %s that stack-indirect.txt does not list' % fn)
                    continue
                targets = indirect[fn]
            for t in targets:
                d, p = walk(t, stack + [fn])
                if d > best:
                    best, path = d, p
        memo[fn] = (frame.get(fn, asm.get(fn, 0)) + best, [fn] + path)
        return memo[fn]

    return walk(entry, [])


def check(limit, entries, indirect, cis, out=print):
    frame, calls, dynamic = parse(cis)
    indirect = dict(indirect)
    asm = asm_frames(indirect)
    errors, worst = [], (0, [])
    for e in entries:
        if e not in frame and e not in calls:
            continue  # data (kcore_log, kc): no frame
        d, path = deepest(e, frame, calls, dynamic, indirect, errors, asm)
        out('stack-depth: %-26s %5d bytes: %s' % (e, d, ' > '.join(
            '%s(%d)' % (f, frame.get(f, asm.get(f, 0))) for f in path)))
        worst = max(worst, (d, path))
    for msg in sorted(set(errors)):
        out('stack-depth: FAIL ' + msg)
    out('stack-depth: deepest %d bytes (limit %d)' % (worst[0], limit))
    if worst[0] > limit:
        out('stack-depth: FAIL above the limit')
    return not errors and worst[0] <= limit


def self_test():
    import os
    import tempfile
    d = tempfile.mkdtemp()

    def ci(name, text):
        p = os.path.join(d, name)
        with open(p, 'w') as f:
            f.write(text)
        return p

    def node(n, b, kind='static'):
        return 'node: { title: "%s" label: "%s\\nf.c:1:1\\n%d bytes (%s)" }\n' % (n, n, b, kind)

    def edge(a, b):
        return 'edge: { sourcename: "%s" targetname: "%s" label: "f.c:2:2" }\n' % (a, b)

    quiet = lambda s: None
    good = ci('good.ci', node('e', 100) + node('a', 200) + node('b', 50) + edge('e', 'a') +
              edge('e', 'b') + edge('a', '__indirect_call'))
    ind = ci('ind.txt', 'a: b\n')
    ok = check(350, ['e'], read_indirect(ind), [good], quiet)          # e+a+b = 350
    over = not check(349, ['e'], read_indirect(ind), [good], quiet)
    unlisted = not check(9999, ['e'], {}, [good], quiet)
    rec = not check(9999, ['e'], {}, [ci('rec.ci', node('e', 8) + edge('e', 'e'))], quiet)
    dyn = not check(9999, ['e'], {}, [ci('dyn.ci', node('e', 8, 'dynamic'))], quiet)
    # e calls the assembly function g, which runs b (50) on 30 bytes of its own
    asmg = ci('asm.ci', node('e', 100) + node('b', 50) + edge('e', 'g'))
    asm_ok = check(180, ['e'], read_indirect(ci('asm.txt', 'g(30): b\n')), [asmg], quiet)
    asm_over = not check(179, ['e'], read_indirect(ci('asm2.txt', 'g(30): b\n')), [asmg], quiet)
    ok = ok and asm_ok
    over = over and asm_over
    for name, r in (('an assembly frame and what it runs are counted', asm_ok and asm_over),
                    ('a good graph passes, depth summed along the path', ok),
                    ('a depth above the limit fails', over),
                    ('an unlisted indirect call fails', unlisted),
                    ('recursion fails', rec), ('dynamic stack use fails', dyn)):
        print('stack-depth self-test: %s %s' % ('ok  ' if r else 'FAIL', name))
    return ok and over and unlisted and rec and dyn


def main(argv):
    if argv[1:] == ['--self-test']:
        return 0 if self_test() else 1
    args, cis = {}, []
    it = iter(argv[1:])
    for a in it:
        if a in ('--limit', '--entries', '--indirect'):
            args[a] = next(it)
        else:
            cis.append(a)
    ok = check(int(args['--limit']), read_list(args['--entries']),
               read_indirect(args['--indirect']), cis)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
