#!/usr/bin/python3
"""docs/spec-map.md: every Definition and Fixpoint of HighSpecs, the C
function that implements it (found by its `/* spec: NAME */` comment) and the
model function of the same name (tests/model/spec*.py).

  spec-map.py             rewrite docs/spec-map.md
  spec-map.py --check     fail if the file is stale, if a definition has no C
                          twin and no stated reason (NO_C) or no model twin
                          and no stated reason (NO_MODEL), if a reason is a
                          placeholder or stands beside a twin, or if a
                          `spec: NAME` comment names nothing of HighSpecs
  spec-map.py --self-test the check's own test: maps it must refuse
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, 'docs', 'spec-map.md')
# The spec lives beside the repository (../shared/spec); a clone elsewhere
# (CI) checks against the list of definitions in the committed map instead.
SPEC_PLACES = [os.environ.get('KCORE_SPEC', ''),
               os.path.join(ROOT, '..', 'shared', 'spec', 'HighSpecs.md'),
               '/work/shared/spec/HighSpecs.md']
SPEC = next((p for p in SPEC_PLACES if p and os.path.exists(p)), None)

# Definitions that have no C twin, and why. Every other definition must have
# one: a `/* spec: NAME */` comment at the function (C) or `// spec: NAME`
# before the label (assembly) that implements it.
NO_C = {
    'mem_load_spec': 'the host\'s and the VMs\' loads go through the MMU: the hardware walks the '
                     'stage-2 tables KCore writes (emulated by tests/harness, tk_*_store)',
    'mem_store_spec': 'the host\'s and the VMs\' stores go through the MMU: the hardware walks '
                      'the stage-2 tables KCore writes (emulated by tests/harness, tk_*_store)',
    'dev_load_spec': 'device loads go through the SMMU: the hardware walks the tables KCore '
                     'writes (emulated by tests/harness, tk_dev_store)',
    'dev_store_spec': 'device stores go through the SMMU: the hardware walks the tables KCore '
                      'writes (emulated by tests/harness, tk_dev_store)',
    'CalStateH': 'the proof\'s model of other CPUs (replaying their log); the C has real '
                 'other CPUs, ordered by the locks (kcore/lock.c)',
    'query_oracle': 'the proof\'s model of other CPUs (the oracle of their steps); the C has '
                    'real other CPUs, ordered by the locks (kcore/lock.c)',
}

# Definitions that have no model twin, and why: the world switch moves
# registers between the CPU and a context, which the model does not have
# (its runs and exits take the hardware's registers as their input record).
_SWITCH = ('the world switch: register moves between the CPU and a shadow context, which the '
           'model has no CPU for (checked by the QEMU scenarios: vm, fp state, pmu)')
NO_MODEL = {n: _SWITCH for n in [
    'host_to_core_specx', 'save_sysregs_specx', 'fpsimd_save_state_specx',
    'vcpu_run_swith_to_core', 'vm_el2_restore_state_specx', 'activate_traps_specx',
    'timer_enable_traps_specx', 'restore_sysregs_specx', 'fpsimd_restore_state_specx',
    'core_to_vm_specx', 'vcpu_run_switch_to_vm', 'deactivate_traps_specx',
    'host_el2_restore_state_specx', 'core_to_host_specx',
    'switch_to_host']}
NO_MODEL.update({
    'CalStateH': 'the model is sequential: other CPUs are the SMP stress test\'s (tests/smp)',
    'query_oracle': 'the model is sequential: other CPUs are the SMP stress test\'s (tests/smp)',
})

PLACEHOLDER = re.compile(r'EL2 issue|TODO|TBD|FIXME|XXX|^\s*-?\s*$', re.I)


# Loops and wrappers that live inside another function on one side.
INSIDE = {
    'local_mmap_loop_h': 'local_mmap_h',
    'reset_sys_regs_loopx': 'reset_sys_regs_specx',
    'sync_dirty_to_shadow_loopx': 'sync_dirty_to_shadow_specx',
    'prot_and_map_vm_loop_h': 'prot_and_map_vm_s2pt_spec_h',
    'vm_to_core_specx': 'vm_exit_pre_process',
    'host_vcpu_run_handler_spec': 'vcpu_run_process',
    'vm_exit_handler_spec': 'vm_exit_pre_process',
    'exit_populate_fault_specx': 'vm_exit_pre_process',
}


def spec_definitions():
    names = []
    if SPEC is None:
        for line in open(OUT):
            m = re.match(r'\| `([A-Za-z0-9_]+)` \|', line)
            if m:
                names.append(m.group(1))
        return names
    for line in open(SPEC):
        m = re.match(r'\s*(Definition|Fixpoint)\s+([A-Za-z0-9_]+)', line)
        if m and m.group(2) not in names:
            names.append(m.group(2))
    return names


def source_files():
    pats = ['kcore/*.c', 'smmu/*.c', 'arch/arm64/*.c', 'arch/arm64/*.h', 'arch/arm64/*.S']
    return sorted(p for pat in pats for p in glob.glob(os.path.join(ROOT, pat)))


C_FUNC = re.compile(r'^(?:static\s+)?(?:inline\s+)?[a-z_0-9 ]+?\**\s*\b([a-z_0-9]+)\(')
ASM_LABEL = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*):')


def spec_comments():
    """(file, line, NAME, function or None) for every `spec: NAME` comment;
    the function is the first one (C) or label (assembly) within 12 lines."""
    out = []
    for path in source_files():
        lines = open(path).read().split('\n')
        pat = ASM_LABEL if path.endswith('.S') else C_FUNC
        for i, line in enumerate(lines):
            for m in re.finditer(r'\bspec: ([A-Za-z0-9_]+)', line):
                fn = None
                for j in range(i, min(i + 12, len(lines))):
                    f = pat.match(lines[j])
                    if f and not lines[j].startswith((' ', '\t')):
                        fn = f.group(1)
                        break
                out.append((os.path.relpath(path, ROOT), i + 1, m.group(1), fn))
    return out


def c_functions():
    """spec name -> ['file: function'] for each `spec: NAME` comment."""
    found = {}
    for rel, _, name, fn in spec_comments():
        if fn:
            found.setdefault(name, []).append('`%s`: `%s`' % (rel, fn))
    return found


def spec_words():
    """Every identifier HighSpecs uses (definitions, parameters, fields,
    constants): a `spec:` comment must name one of them; None if the spec
    is not here."""
    if SPEC is None:
        return None
    return set(re.findall(r'[A-Za-z_][A-Za-z0-9_]*', open(SPEC).read()))


def model_functions():
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'model', 'spec*.py'))):
        for line in open(path):
            m = re.match(r'\s*def ([A-Za-z0-9_]+)\(', line)
            if m:
                found.setdefault(m.group(1), os.path.relpath(path, ROOT))
    return found


def row_problems(name, cf, mf, no_c, no_model):
    """What is wrong with one row: no twin and no reason, a placeholder
    reason, or a reason although there is a twin."""
    out = []
    for side, twin, reasons in (('C', cf, no_c), ('model', mf, no_model)):
        why = reasons.get(name)
        if why is not None and PLACEHOLDER.search(why):
            out.append('%s: the reason for no %s twin is a placeholder (%r)' % (name, side, why))
        elif twin and why is not None:
            out.append('%s: has a %s twin, so no reason belongs in NO_%s' % (name, side, side.upper()))
        elif not twin and why is None:
            out.append('%s: no %s twin and no stated reason' % (name, side))
    return out


def render(defs=None, c=None, py=None, no_c=None, no_model=None):
    defs = spec_definitions() if defs is None else defs
    c = c_functions() if c is None else c
    py = model_functions() if py is None else py
    no_c = NO_C if no_c is None else no_c
    no_model = NO_MODEL if no_model is None else no_model
    rows, problems = [], []
    for name in defs:
        cf = ', '.join(sorted(set(c.get(name, []))))
        mf = '`%s`' % py[name] if name in py else ''
        parent = INSIDE.get(name)
        if parent and not cf and parent in c:
            cf = 'inside ' + ', '.join(sorted(set(c[parent])))
        if parent and not mf and parent in py:
            mf = 'inside `%s` of `%s`' % (parent, py[parent])
        problems += row_problems(name, cf, mf, no_c, no_model)
        notes = []
        if name in no_c:
            notes.append('no C twin: ' + no_c[name])
        if name in no_model:
            notes.append('no model twin: ' + no_model[name])
        rows.append('| `%s` | %s | %s | %s |' % (name, cf or '–', mf or '–', '; '.join(notes)))
    for reasons, side in ((no_c, 'C'), (no_model, 'model')):
        for name in reasons:
            if name not in defs:
                problems.append('%s: a NO_%s reason for a name HighSpecs does not define' % (name, side.upper()))
    text = ['# HighSpecs → C → model',
            '',
            'Generated by `scripts/spec-map.py` from the `/* spec: NAME */` comments (`// spec: NAME`',
            'in assembly) in `kcore/`, `smmu/` and `arch/arm64/` and the functions of',
            '`tests/model/spec*.py`; `make test` checks that it is current and complete: every',
            'definition has a C twin or a stated reason why not, and a model twin or a stated reason',
            '(the world switch moves registers between the CPU and a context, which the model has no',
            'CPU for; the memory and device access rules are what the MMU and the SMMU enforce on the',
            'tables KCore writes; `CalStateH` and `query_oracle` are the proof\'s model of other CPUs).',
            '',
            '| HighSpecs | C | model | note |',
            '|---|---|---|---|'] + rows + ['']
    return '\n'.join(text), problems


def comment_problems(words):
    """`spec: NAME` comments that name nothing of HighSpecs."""
    if words is None:
        return []
    return ['%s:%d: `spec: %s` names nothing in HighSpecs' % (rel, line, name)
            for rel, line, name, _ in spec_comments() if name not in words]


def self_test():
    """The check must refuse each of these maps; returns the failures."""
    defs = ['a_spec', 'b_spec']
    c = {'a_spec': ['`x.c`: `a`'], 'b_spec': ['`x.c`: `b`']}
    py = {'a_spec': 'm.py', 'b_spec': 'm.py'}
    cases = {
        'a row with no C twin and no reason': (defs, {'a_spec': c['a_spec']}, py, {}, {}),
        'a row with no model twin and no reason': (defs, c, {'a_spec': 'm.py'}, {}, {}),
        'an "EL2 issue" placeholder as the reason': (defs, {'a_spec': c['a_spec']}, py,
                                                    {'b_spec': 'EL2 issue: world switch'}, {}),
        'an empty reason': (defs, c, {'a_spec': 'm.py'}, {}, {'b_spec': ' '}),
        'a reason beside a twin': (defs, c, py, {'a_spec': 'hardware'}, {}),
        'a reason for a name the spec lacks': (defs, c, py, {'zz_spec': 'hardware'}, {}),
    }
    failures = []
    for what, args in cases.items():
        if not render(*args)[1]:
            failures.append('not refused: ' + what)
    if render(defs, c, py, {}, {})[1]:
        failures.append('refused: a complete map')
    if not comment_problems(set()):
        failures.append('not refused: `spec:` comments naming nothing of the spec')
    return failures


def main():
    if '--self-test' in sys.argv:
        failures = self_test()
        for f in failures:
            print('spec-map self-test: ' + f)
        print('spec-map self-test: %d cases, %s' % (7, 'FAILED' if failures else 'ok'))
        return 1 if failures else 0
    if SPEC is None and '--check' not in sys.argv:
        sys.exit('spec-map: HighSpecs.md not found (set KCORE_SPEC)')
    text, problems = render()
    problems += comment_problems(spec_words())
    if '--check' in sys.argv:
        ok = not problems
        if SPEC is None:
            print('spec-map: HighSpecs.md not found; checking the %d definitions of the committed map'
                  ' (the names of `spec:` comments are not checked)' % len(spec_definitions()))
        for p in problems:
            print('spec-map: ' + p)
        if not os.path.exists(OUT) or open(OUT).read() != text:
            print('spec-map: docs/spec-map.md is stale (run scripts/spec-map.py)')
            ok = False
        print('spec-map: ok' if ok else 'spec-map: FAILED')
        return 0 if ok else 1
    open(OUT, 'w').write(text)
    for p in problems:
        print('spec-map: ' + p)
    return 0


if __name__ == '__main__':
    sys.exit(main())
