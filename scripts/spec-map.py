#!/usr/bin/python3
"""docs/spec-map.md: every Definition and Fixpoint of HighSpecs, the C
function that implements it (found by its `/* spec: NAME */` comment) and the
model function of the same name (tests/model/spec*.py).

  spec-map.py          rewrite docs/spec-map.md
  spec-map.py --check  fail if the file is stale or a definition that is
                       not hardware has no C or no model function
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

# Register copies between the CPU and a context, trap configuration, and the
# concurrency model: the world switch and the locks (the EL2 issue).
HARDWARE = {
    'host_to_core_specx': 'world switch: host registers into KCore (arch/arm64)',
    'save_sysregs_specx': 'world switch: save EL1 system registers',
    'fpsimd_save_state_specx': 'world switch: save FP/SIMD',
    'vcpu_run_swith_to_core': 'world switch: enter KCore from the host',
    'vm_el2_restore_state_specx': 'world switch: VTTBR/HCR for the VM',
    'activate_traps_specx': 'trap configuration for the VM',
    'timer_enable_traps_specx': 'timer trap configuration',
    'restore_sysregs_specx': 'world switch: restore EL1 system registers',
    'fpsimd_restore_state_specx': 'world switch: restore FP/SIMD',
    'core_to_vm_specx': 'world switch: registers into the VM',
    'vcpu_run_switch_to_vm': 'world switch: enter the VM',
    'deactivate_traps_specx': 'trap configuration for the host',
    'exit_populate_fault_specx': 'world switch: fault registers at exit',
    'host_el2_restore_state_specx': 'world switch: VTTBR/HCR for the host',
    'core_to_host_specx': 'world switch: registers into the host',
    'switch_to_host': 'world switch: back to the host',
    'mem_load_spec': 'what the host/VM MMU lets through (emulated by tests/harness, tk_*_store)',
    'mem_store_spec': 'what the host/VM MMU lets through (emulated by tests/harness, tk_*_store)',
    'dev_load_spec': 'what the SMMU lets through (emulated by tests/harness, tk_dev_store)',
    'dev_store_spec': 'what the SMMU lets through (emulated by tests/harness, tk_dev_store)',
    'CalStateH': 'concurrency model: other CPUs (the locks, kcore/lock.c)',
    'query_oracle': 'concurrency model: other CPUs (the locks, kcore/lock.c)',
}


# Loops and wrappers that live inside another function on one side.
INSIDE = {
    'local_mmap_loop_h': 'local_mmap_h',
    'reset_sys_regs_loopx': 'reset_sys_regs_specx',
    'sync_dirty_to_shadow_loopx': 'sync_dirty_to_shadow_specx',
    'prot_and_map_vm_loop_h': 'prot_and_map_vm_s2pt_spec_h',
    'vm_to_core_specx': 'vm_exit_pre_process',
    'host_vcpu_run_handler_spec': 'vcpu_run_process',
    'vm_exit_handler_spec': 'vm_exit_pre_process',
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


def c_functions():
    """spec name -> 'file: function' for each /* spec: NAME */ comment."""
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'kcore', '*.c')) +
                       glob.glob(os.path.join(ROOT, 'smmu', '*.c')) +
                       glob.glob(os.path.join(ROOT, 'arch', 'arm64', '*.c'))):
        lines = open(path).read().split('\n')
        for i, line in enumerate(lines):
            m = re.search(r'spec: ([A-Za-z0-9_]+)', line)
            if not m:
                continue
            for j in range(i, min(i + 12, len(lines))):
                f = re.match(r'^(?:static\s+)?(?:inline\s+)?[a-z_0-9 ]+?\**\s*\b([a-z_0-9]+)\(', lines[j])
                if f and not lines[j].startswith((' ', '\t')):
                    rel = os.path.relpath(path, ROOT)
                    found.setdefault(m.group(1), []).append('`%s`: `%s`' % (rel, f.group(1)))
                    break
    return found


def model_functions():
    found = {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'model', 'spec*.py'))):
        for line in open(path):
            m = re.match(r'\s*def ([A-Za-z0-9_]+)\(', line)
            if m:
                found.setdefault(m.group(1), os.path.relpath(path, ROOT))
    return found


def render():
    c, py = c_functions(), model_functions()
    rows, missing = [], []
    for name in spec_definitions():
        cf = ', '.join(sorted(set(c.get(name, []))))
        mf = '`%s`' % py[name] if name in py else ''
        parent = INSIDE.get(name)
        if parent and not cf and parent in c:
            cf = 'inside ' + ', '.join(sorted(set(c[parent])))
        if parent and not mf and parent in py:
            mf = 'inside `%s` of `%s`' % (parent, py[parent])
        hw = HARDWARE.get(name)
        if hw:
            note = 'EL2 issue: ' + hw
        else:
            note = ''
            if not cf or not mf:
                missing.append(name)
        rows.append('| `%s` | %s | %s | %s |' % (name, cf or '–', mf or '–', note))
    text = ['# HighSpecs → C → model',
            '',
            'Generated by `scripts/spec-map.py` from the `/* spec: NAME */` comments in `kcore/`,',
            '`smmu/` and `arch/arm64/` and the functions of `tests/model/spec*.py`; `make test` checks',
            'that it is current',
            'and complete. Definitions marked "EL2 issue" copy registers between the CPU and a context,',
            'configure traps, or model other CPUs; they belong to the world switch and the locks.',
            '',
            '| HighSpecs | C | model | note |',
            '|---|---|---|---|'] + rows + ['']
    return '\n'.join(text), missing


def main():
    if SPEC is None and '--check' not in sys.argv:
        sys.exit('spec-map: HighSpecs.md not found (set KCORE_SPEC)')
    text, missing = render()
    if '--check' in sys.argv:
        ok = True
        if SPEC is None:
            print('spec-map: HighSpecs.md not found; checking the %d definitions of the committed map'
                  % len(spec_definitions()))
        if missing:
            print('spec-map: no C or no model function for: ' + ', '.join(missing))
            ok = False
        if not os.path.exists(OUT) or open(OUT).read() != text:
            print('spec-map: docs/spec-map.md is stale (run scripts/spec-map.py)')
            ok = False
        print('spec-map: ok' if ok else 'spec-map: FAILED')
        return 0 if ok else 1
    open(OUT, 'w').write(text)
    if missing:
        print('spec-map: missing: ' + ', '.join(missing))
    return 0


if __name__ == '__main__':
    sys.exit(main())
