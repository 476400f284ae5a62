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
                          The map file itself is read back too (map_problems):
                          every row must name C and model twins that exist
                          and carry their comment (or give a reason), and
                          no cell may hold a placeholder ("EL2 issue", TODO)
  spec-map.py --self-test the check's own test: maps and comments it must
                          refuse (built here, and the fixtures of
                          tests/spec_map/), and the real map, which it must not
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
_SWITCH = ('the world switch moves CPU registers, and the model has no CPU (the QEMU '
           'scenarios check it: vm, fp state, pmu)')
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

# Where the C twin does not do exactly what the definition says: how, and the
# deviation (docs/deviations.md) when it is one.
NOTES = {
    'local_gen_vmid': 'D68: the lowest id not handed out (core_data.vmid_used; DESTROY_VM '
                      'frees one), not a bump pointer',
    'local_set_boot_info': 'D14, D28; D68: the lowest window range that fits between the '
                           'ranges VMs hold (first fit), not the bump pointer alone',
    'host_to_core_specx': 'the host\'s x0..x18, x30 go into its HVC\'s trap frame (vectors.S), '
                          'x19..x29 stay in the CPU (callee-saved) and __guest_enter keeps '
                          'x19..x30: not one copy into a context, the same registers kept',
    'save_sysregs_specx': 'D65: ESR_EL1 is saved too, ACTLR_EL1 is not (D58: trapped); MPIDR_EL1 '
                          'is the vCPU\'s own (VMPIDR_EL2, set from the context, never read '
                          'back); the host\'s ELR_EL2, SPSR_EL2, VMPIDR_EL2 and virtual timer in host_save',
    'fpsimd_save_state_specx': 'D38: lazily, at a guest\'s first FP/SIMD use in a VCPU_RUN '
                               '(the host\'s) and at the run\'s end (the guest\'s)',
    'vcpu_run_swith_to_core': 'the vmid comes from x1 (x0 is the SMCCC function id, docs/abi.md) '
                              'and one out of range is refused, -KE_RANGE (R3, D22), by '
                              'arch_vcpu_run, not a halt; FP/SIMD lazily (D38)',
    'vm_el2_restore_state_specx': 'HCR_EL2 = guest_hcr_el2 (HCR_HYPSEC_VM_FLAGS is left open: '
                                  'HCR_GUEST, with D58\'s TACR and, where present, TLOR and '
                                  'TERR); TPIDR_EL2 = this CPU\'s switch area '
                                  '(__guest_enter), not the context\'s: EL2 only, never seen '
                                  'by EL1',
    'activate_traps_specx': 'D35 (the trap values), D57 (the host\'s counters stopped), D58 '
                            '(what else of the CPU is kept from a guest); CPTR_EL2 written at each entry by guest_run_once, '
                            'with TFP until the first FP/SIMD use (D38)',
    'timer_enable_traps_specx': 'at entry CNTHCTL_EL2 := EL1PCTEN, the spec\'s formula on the '
                                'host\'s EL1PCTEN and EL1PCEN; not applied again at the exit '
                                '(D67); the virtual timer is switched (D66)',
    'restore_sysregs_specx': 'D65 (ESR_EL1 restored, ACTLR_EL1 not); ELR_EL2, SPSR_EL2, '
                             'VMPIDR_EL2 written by guest_run_once and host_restore; ESR_EL2, '
                             'FAR_EL2, HPFAR_EL2 not written (EL1 never reads them; the hardware '
                             'sets them at the next exit)',
    'fpsimd_restore_state_specx': 'D38: lazily, as fpsimd_save_state_specx',
    'core_to_vm_specx': 'also the re-entry after an exit KCore handled (vm_exit_pre_process); '
                        'D37: a grant or revoke never leaves the CPU\'s registers',
    'vcpu_run_switch_to_vm': 'with vm_traps_activate and vgic_load once per VCPU_RUN '
                             '(arch_vcpu_run), D59 (the virtual interrupts), D66 (the timer)',
    'deactivate_traps_specx': 'D35 (MDCR_EL2 back to the host\'s value, not 0), D57, D58',
    'vm_to_core_specx': 'at EL2 the guest vectors save x0..x30 straight into the shadow context '
                        '(guest_vectors.S); D37: not for a grant or revoke',
    'exit_populate_fault_specx': 'D18: PC and PSTATE saved too; the registers are read in '
                                 'guest_run_once (vcpu_switch.c)',
    'host_el2_restore_state_specx': 'HCR_EL2 = HCR_HOST; TPIDR_EL2 := 0 in __guest_exit; '
                                    'CNTHCTL_EL2 gives the host its physical timer back (D67)',
    'core_to_host_specx': 'x0 is VCPU_RUN\'s result (the exit reason) in the HVC\'s frame; '
                          'x19..x30 and SP from __guest_enter\'s save',
    'switch_to_host': 'with fp_to_host (D38), vgic_save and vm_traps_deactivate, in arch_vcpu_run',
}

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


def spec_comments(files=None):
    """(file, line, NAME, function or None) for every `spec: NAME` comment;
    the function is the first one (C) or label (assembly) within 12 lines."""
    out = []
    for path in source_files() if files is None else files:
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
    notes_checked = defs is None
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
        notes = [NOTES[name]] if name in NOTES else []
        if name in no_c:
            notes.append('no C twin: ' + no_c[name])
        if name in no_model:
            notes.append('no model twin: ' + no_model[name])
        rows.append('| `%s` | %s | %s | %s |' % (name, cf or '–', mf or '–', '; '.join(notes)))
    for reasons, side in ((no_c, 'C'), (no_model, 'model')):
        for name in reasons:
            if name not in defs:
                problems.append('%s: a NO_%s reason for a name HighSpecs does not define' % (name, side.upper()))
    if notes_checked:
        for name, note in NOTES.items():
            if name not in defs:
                problems.append('%s: a note for a name HighSpecs does not define' % name)
            elif PLACEHOLDER.search(note):
                problems.append('%s: the note is a placeholder (%r)' % (name, note))
    text = ['# HighSpecs → C → model',
            '',
            'Generated by `scripts/spec-map.py` from the `/* spec: NAME */` comments (`// spec: NAME`',
            'in assembly) in `kcore/`, `smmu/` and `arch/arm64/` and the functions of',
            '`tests/model/spec*.py`; `make test` checks that it is current and complete: every',
            'definition has a C twin or a stated reason why not, and a model twin or a stated reason',
            '(the world switch moves registers between the CPU and a context, which the model has no',
            'CPU for; the memory and device access rules are what the MMU and the SMMU enforce on the',
            'tables KCore writes; `CalStateH` and `query_oracle` are the proof\'s model of other CPUs).',
            'Where a C twin does something other than the definition, its note says what, with the',
            'deviation of docs/deviations.md where it is one.',
            '',
            '| HighSpecs | C | model | note |',
            '|---|---|---|---|'] + rows + ['']
    return '\n'.join(text), problems


ROW = re.compile(r'^\| `([A-Za-z0-9_]+)` \| (.*) \|$')
TWIN = re.compile(r'`([^`]+)`: `([A-Za-z_][A-Za-z0-9_]*)`')
MODEL_TWIN = re.compile(r'^(?:inside `([A-Za-z0-9_]+)` of )?`([^`]+)`$')


def map_problems(text, defs, comments, root=ROOT):
    """The map file read back on its own: one row per definition; a C cell
    names `file`: `function` pairs whose function carries a `spec: NAME`
    comment for the row (or, for a loop inside another function, for that
    one), or is '–' beside a "no C twin: <reason>" note; the same for the
    model cell ("no model twin: <reason>"); no cell holds a placeholder."""
    out, seen = [], []
    carried = {(rel, fn, name) for rel, _, name, fn in comments}
    for line in text.split('\n'):
        m = ROW.match(line)
        if not m:
            if line.startswith('| `'):
                out.append('malformed row: %r' % line)
            continue
        name, cells = m.group(1), m.group(2).split(' | ')
        if len(cells) != 3:
            out.append('%s: the row has %d cells, not 4' % (name, len(cells) + 1))
            continue
        cf, mf, note = cells
        seen.append(name)
        if name not in defs:
            out.append('%s: a row for a name HighSpecs does not define' % name)
        for cell in cells:
            if re.search(r'EL2 issue|TODO|TBD|FIXME|XXX|\?\?', cell, re.I):
                out.append('%s: a placeholder in the row (%r)' % (name, cell))
        names = {name, INSIDE.get(name)}
        for side, twin, ok in (('C', cf, cf.startswith(('`', 'inside `'))),
                               ('model', mf, bool(MODEL_TWIN.match(mf)))):
            if twin == '–':
                why = re.search(r'no %s twin: ([^;]*)' % side, note)
                if not why or len(why.group(1).split()) < 3 or PLACEHOLDER.search(why.group(1)):
                    out.append('%s: no %s twin and no stated reason in the note' % (name, side))
            elif not ok:
                out.append('%s: the %s cell names no twin (%r)' % (name, side, twin))
        if cf != '–':
            pairs = TWIN.findall(cf)
            if not pairs:
                out.append('%s: the C cell names no `file`: `function` (%r)' % (name, cf))
            for rel, fn in pairs:
                if not os.path.exists(os.path.join(root, rel)):
                    out.append('%s: %s does not exist' % (name, rel))
                elif not any((rel, fn, n) in carried for n in names):
                    out.append('%s: %s: %s carries no `spec: %s` comment' % (name, rel, fn, name))
        mm = MODEL_TWIN.match(mf)
        if mf != '–' and mm:
            fn, rel = mm.group(1) or name, mm.group(2)
            path = os.path.join(root, rel)
            if not os.path.exists(path) or not re.search(r'^\s*def %s\(' % re.escape(fn),
                                                         open(path).read(), re.M):
                out.append('%s: %s defines no %s' % (name, rel, fn))
    for name in defs:
        if seen.count(name) != 1:
            out.append('%s: %d rows in the map, not 1' % (name, seen.count(name)))
    return out


def comment_problems(words, files=None):
    """`spec: NAME` comments that name nothing of HighSpecs, or name no
    function (none within 12 lines)."""
    if words is None:
        return []
    out = []
    for rel, line, name, fn in spec_comments(files):
        if name not in words:
            out.append('%s:%d: `spec: %s` names nothing in HighSpecs' % (rel, line, name))
        elif fn is None and name in spec_definitions():
            out.append('%s:%d: `spec: %s` is at no function or label' % (rel, line, name))
    return out


FIXTURES = os.path.join(ROOT, 'tests', 'spec_map')


def self_test():
    """The check must refuse each case below and pass the real map; returns
    (number of cases, failures)."""
    failures, n = [], 0

    def expect(refused, what, problems, must=None):
        nonlocal n
        n += 1
        if refused and not problems:
            failures.append('not refused: ' + what)
        elif refused and must and not any(must in p for p in problems):
            failures.append('refused, but not for %r: %s (%s)' % (must, what, problems[:2]))
        elif not refused and problems:
            failures.append('refused: %s (%s)' % (what, problems[:3]))

    # The reason tables (render): built from a two-definition spec.
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
    for what, args in cases.items():
        expect(True, what, render(*args)[1])
    expect(False, 'a complete two-definition map', render(defs, c, py, {}, {})[1])

    # The map file read back (map_problems): the real map, then changed.
    real_defs, comments = spec_definitions(), spec_comments()
    text = render()[0]
    expect(False, 'the real map', map_problems(text, real_defs, comments))
    rows = {m.group(1): line for line in text.split('\n') for m in [ROW.match(line)] if m}

    def changed(name, new):
        return text.replace(rows[name], new)

    sw = rows['save_sysregs_specx']
    expect(True, 'a placeholder row ("EL2 issue", no twin)',
           map_problems(changed('save_sysregs_specx', '| `save_sysregs_specx` | – | – | '
                                'EL2 issue: world switch: save EL1 system registers |'),
                        real_defs, comments), 'placeholder')
    expect(True, 'a row whose twin stays but whose note says TODO',
           map_problems(changed('save_sysregs_specx', sw.rsplit(' | ', 1)[0] + ' | TODO |'),
                        real_defs, comments), 'placeholder')
    expect(True, 'a row with no C twin and an empty note',
           map_problems(changed('mem_load_spec', '| `mem_load_spec` | – | '
                                '`tests/model/spec_mem.py` |  |'), real_defs, comments),
           'no C twin and no stated reason')
    expect(True, 'a reason of one word',
           map_problems(changed('mem_load_spec', '| `mem_load_spec` | – | '
                                '`tests/model/spec_mem.py` | no C twin: hardware |'),
                        real_defs, comments), 'no C twin and no stated reason')
    expect(True, 'a twin function that no longer carries the comment',
           map_problems(text, real_defs, [x for x in comments if x[2] != 'local_gen_vmid']),
           'carries no `spec: local_gen_vmid`')
    expect(True, 'a twin naming another definition\'s function',
           map_problems(changed('local_register_kvm', rows['local_register_kvm'].replace(
               '`local_register_kvm`', '`local_gen_vmid`').replace(
               '| `local_gen_vmid` |', '| `local_register_kvm` |', 1)), real_defs, comments),
           'carries no `spec: local_register_kvm`')
    expect(True, 'a twin in a file that does not exist',
           map_problems(changed('local_gen_vmid', rows['local_gen_vmid'].replace(
               '`kcore/vm.c`', '`kcore/gone.c`')), real_defs, comments), 'does not exist')
    expect(True, 'a model twin the model does not define',
           map_problems(changed('local_gen_vmid', rows['local_gen_vmid'].replace(
               '`tests/model/spec_vm.py`', '`tests/model/spec_mem.py`')), real_defs, comments),
           'defines no local_gen_vmid')
    expect(True, 'a row removed', map_problems(changed('CalStateH', ''), real_defs, comments),
           '0 rows')
    expect(True, 'a row doubled', map_problems(changed('CalStateH', rows['CalStateH'] + '\n' +
                                                       rows['CalStateH']), real_defs, comments),
           '2 rows')
    old = os.path.join(FIXTURES, 'before-item-9.md')
    expect(True, 'tests/spec_map/before-item-9.md (the map before issue 11 item 9)',
           map_problems(open(old).read(), real_defs, comments), 'EL2 issue')

    # `spec: NAME` comments (comment_problems): the fixture names one
    # definition and one name HighSpecs does not have.
    words = spec_words()
    if words is not None:
        bad = os.path.join(FIXTURES, 'bad-comment.c')
        probs = comment_problems(words, [bad])
        expect(True, 'tests/spec_map/bad-comment.c (a comment naming nothing of HighSpecs)',
               probs, 'local_gen_vmid_h')
        expect(False, 'its comment naming a definition',
               [p for p in probs if '`spec: local_gen_vmid`' in p])
    return n, failures


def main():
    if '--self-test' in sys.argv:
        n, failures = self_test()
        for f in failures:
            print('spec-map self-test: ' + f)
        print('spec-map self-test: %d cases, %s' % (n, 'FAILED' if failures else 'ok'))
        return 1 if failures else 0
    if SPEC is None and '--check' not in sys.argv:
        sys.exit('spec-map: HighSpecs.md not found (set KCORE_SPEC)')
    text, problems = render()
    problems += comment_problems(spec_words())
    if '--check' in sys.argv and os.path.exists(OUT):
        problems += map_problems(open(OUT).read(), spec_definitions(), spec_comments())
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
