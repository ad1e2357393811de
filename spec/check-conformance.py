#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check the conformance index against the specification.

Reads spec/virtio-iommu-nested.md, spec/conformance.tsv,
spec/virtio_iommu_nested.h and tests/unit/test_spec_layout.c, prints TAP on
stdout and exits with 1 if any check fails.

A normative statement is a list item of the specification that starts with
its identifier in bold, for example "- **NEST-DEV-07** The device MUST ...";
it ends at the next blank line, list item or heading. Any other occurrence of
an identifier is a reference and must name a statement.

conformance.tsv is tab-separated with the header
    id  level  side  summary  test
level is MUST, SHOULD or MAY (a MUST NOT statement is MUST), side is device
or driver, and test is "untested" or one or more test names separated by
";". A test name is qtest:<path>, guest:<scenario>, guest:<suite> (a
guest suite of scripts/run-tests.py) or unit:<program>:<test name>.

Named tests must exist: --tests FILE gives the list of existing tests, one
name per line (blank lines and lines starting with "#" are ignored). Without
--tests, every statement that names a test fails.

After the test points, coverage is printed as TAP comments:
    # coverage: tested/total
followed by the same ratio per level, per side and per origin (NEST, STD).
"""

import argparse
import ast
import os
import re
import signal
import sys

ID_RE = r'(?:NEST|STD)-(?:DEV|DRV)-\d{2,}'
DEF_RE = re.compile(r'^\s*(?:[-*+]|\d+\.)\s+\*\*(' + ID_RE + r')\*\*(.*)$')
ITEM_START_RE = re.compile(r'^\s*(?:[-*+]|\d+\.)\s')
ANY_ID_RE = re.compile(r'\b(' + ID_RE + r')\b')
TEST_RE = re.compile(r'^(?:qtest:\S+|guest:\S+|unit:[^:\s]+:\S.*)$')
LEVELS = ('MUST', 'SHOULD', 'MAY')
SIDES = ('device', 'driver')
TSV_HEADER = ['id', 'level', 'side', 'summary', 'test']
STRUCT_RE = re.compile(r'struct (virtio_iommu_[a-z0-9_]+) \{')
LAYOUT_HEAD_RE = re.compile(r'^Layout of `struct (virtio_iommu_[a-z0-9_]+)` '
                            r'\((\d+) bytes')
C_SIZE_RE = re.compile(r'^\s*LAYOUT_SIZE\(\s*(\w+)\s*,\s*(\d+)\s*\)\s*;', re.M)
C_FIELD_RE = re.compile(r'^\s*LAYOUT_FIELD\(\s*(\w+)\s*,\s*([\w.\[\]]+)\s*,'
                        r'\s*(\d+)\s*,\s*(\d+)\s*\)\s*;', re.M)
DEFINE_RE = re.compile(r'^#define\s+(VIRTIO_IOMMU_\w+)\s+(.+?)\s*(?:/\*.*)?$',
                       re.M)


class Tap:
    """Collects test points, prints them with the plan first."""

    def __init__(self):
        self.points = []

    def check(self, description, problems):
        self.points.append((description, list(problems)))

    def emit(self, out):
        out.write('1..%d\n' % len(self.points))
        failed = 0
        for n, (description, problems) in enumerate(self.points, 1):
            if problems:
                failed += 1
                out.write('not ok %d - %s\n' % (n, description))
                for p in problems:
                    out.write('#   %s\n' % p)
            else:
                out.write('ok %d - %s\n' % (n, description))
        return failed


def read_text(path, problems):
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except OSError as e:
        problems.append('cannot read %s: %s' % (path, e.strerror))
        return None


def parse_md(text):
    """Return (statements, defs_in_order, references).

    statements: id -> (line number, text); defs_in_order: [(id, line)];
    references: [(id, line)] for identifiers used outside a definition."""
    statements = {}
    defs = []
    refs = []
    lines = text.split('\n')
    i = 0
    while i < len(lines):
        m = DEF_RE.match(lines[i])
        if not m:
            for r in ANY_ID_RE.finditer(lines[i]):
                refs.append((r.group(1), i + 1))
            i += 1
            continue
        ident, start = m.group(1), i + 1
        body = [m.group(2)]
        i += 1
        while (i < len(lines) and lines[i].strip()
               and not ITEM_START_RE.match(lines[i])
               and not lines[i].lstrip().startswith('#')):
            body.append(lines[i].strip())
            i += 1
        text_ = ' '.join(body).strip()
        for r in ANY_ID_RE.finditer(text_):
            refs.append((r.group(1), start))
        defs.append((ident, start))
        statements.setdefault(ident, (start, text_))
    return statements, defs, refs


def parse_tsv(text, problems):
    rows = []
    lines = text.split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    if not lines:
        problems.append('conformance.tsv is empty')
        return rows, False
    header_ok = lines[0].split('\t') == TSV_HEADER
    for n, line in enumerate(lines[1:], 2):
        if not line.strip():
            problems.append('line %d: empty line' % n)
            continue
        fields = line.split('\t')
        if len(fields) != len(TSV_HEADER):
            problems.append('line %d: %d fields instead of %d'
                            % (n, len(fields), len(TSV_HEADER)))
            continue
        fields = [f.strip() for f in fields]
        if not re.fullmatch(ID_RE, fields[0]):
            problems.append('line %d: malformed id %r' % (n, fields[0]))
            continue
        if not fields[3]:
            problems.append('line %d: %s has an empty summary' % (n, fields[0]))
        rows.append((n,) + tuple(fields))
    return rows, header_ok


def keyword_level(text):
    """Strongest RFC 2119 keyword of a statement."""
    for level in LEVELS:
        if re.search(r'\b' + level + r'\b', text):
            return level
    return None


def eval_int(expr):
    """Evaluate a C integer constant expression made of literals, <<, | and
    parentheses. Returns None if the expression is anything else."""
    expr = re.sub(r'(?<=[0-9a-fA-F])[uUlL]+\b', '', expr.strip())
    try:
        tree = ast.parse(expr, mode='eval')
    except SyntaxError:
        return None

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(
                node.op, (ast.LShift, ast.BitOr, ast.Add)):
            left, right = ev(node.left), ev(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.LShift):
                return left << right
            if isinstance(node.op, ast.BitOr):
                return left | right
            return left + right
        return None
    return ev(tree)


def md_tables_after(text, heading_re, header_re):
    """Rows (lists of cells) of the first table whose header matches
    header_re, in the section whose heading matches heading_re."""
    lines = text.split('\n')
    in_section = False
    level = None
    for i, line in enumerate(lines):
        h = re.match(r'^(#+)\s+(.*)$', line)
        if h:
            if in_section and len(h.group(1)) <= level:
                break
            if re.search(heading_re, h.group(2)):
                in_section, level = True, len(h.group(1))
            continue
        if in_section and line.startswith('|') and re.search(header_re, line):
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith('|'):
                    break
                rows.append([c.strip() for c in row.strip().strip('|').split('|')])
            return rows
    return None


def parse_layouts(text):
    """Layout tables of the specification: struct -> (size, {member: (off,
    size)}, line)."""
    layouts = {}
    lines = text.split('\n')
    for i, line in enumerate(lines):
        m = LAYOUT_HEAD_RE.match(line)
        if not m:
            continue
        fields = {}
        j = i + 1
        while j < len(lines) and not lines[j].startswith('|'):
            j += 1
        for row in lines[j + 2:]:
            if not row.startswith('|'):
                break
            cells = [c.strip() for c in row.strip().strip('|').split('|')]
            if len(cells) < 3:
                continue
            member = cells[2].strip('`')
            try:
                fields[member] = (int(cells[0]), int(cells[1]))
            except ValueError:
                fields[member] = None
        layouts[m.group(1)] = (int(m.group(2)), fields, i + 1)
    return layouts


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--tests', metavar='FILE',
                    help='file listing the existing tests, one per line')
    ap.add_argument('--md', default=os.path.join(root, 'spec',
                                                 'virtio-iommu-nested.md'))
    ap.add_argument('--tsv', default=os.path.join(root, 'spec',
                                                  'conformance.tsv'))
    ap.add_argument('--header', default=os.path.join(
        root, 'spec', 'virtio_iommu_nested.h'))
    ap.add_argument('--layout-test', default=os.path.join(
        root, 'tests', 'unit', 'test_spec_layout.c'))
    args = ap.parse_args()

    tap = Tap()
    read_problems = []
    md = read_text(args.md, read_problems)
    tsv = read_text(args.tsv, read_problems)
    header = read_text(args.header, read_problems)
    ctest = read_text(args.layout_test, read_problems)
    tap.check('input files are readable', read_problems)
    md = md or ''
    tsv = tsv or ''
    header = header or ''

    statements, defs, refs = parse_md(md)
    tsv_problems = []
    rows, header_ok = parse_tsv(tsv, tsv_problems)
    if not header_ok:
        tsv_problems.insert(0, 'header line is not "%s"' % '\\t'.join(TSV_HEADER))
    tap.check('conformance.tsv is well-formed', tsv_problems)

    seen, dups = {}, []
    for r in rows:
        if r[1] in seen:
            dups.append('%s on lines %d and %d' % (r[1], seen[r[1]], r[0]))
        else:
            seen[r[1]] = r[0]
    tap.check('no duplicate id in conformance.tsv', dups)

    seen_md, dups_md = {}, []
    for ident, line in defs:
        if ident in seen_md:
            dups_md.append('%s defined on lines %d and %d'
                           % (ident, seen_md[ident], line))
        else:
            seen_md[ident] = line
    tap.check('no duplicate statement id in the specification', dups_md)

    tsv_ids = {r[1]: r for r in rows}
    tap.check('every statement of the specification is in conformance.tsv',
              ['%s (line %d of the specification)' % (i, statements[i][0])
               for i in statements if i not in tsv_ids])
    tap.check('every id of conformance.tsv is a statement of the specification',
              ['%s (line %d of conformance.tsv)' % (i, r[0])
               for i, r in tsv_ids.items() if i not in statements])

    level_problems = []
    for ident, r in tsv_ids.items():
        level = r[2]
        if level not in LEVELS:
            level_problems.append('%s: level %r is not MUST, SHOULD or MAY'
                                  % (ident, level))
            continue
        if ident in statements:
            found = keyword_level(statements[ident][1])
            if found is None:
                level_problems.append('%s: the statement has no MUST, SHOULD '
                                      'or MAY' % ident)
            elif found != level:
                level_problems.append('%s: level %s in conformance.tsv but the '
                                      'statement says %s' % (ident, level, found))
    tap.check('levels are valid and match the statements', level_problems)

    side_problems = []
    for ident, r in tsv_ids.items():
        side = r[3]
        if side not in SIDES:
            side_problems.append('%s: side %r is not device or driver'
                                 % (ident, side))
        elif side != ('device' if '-DEV-' in ident else 'driver'):
            side_problems.append('%s: side %s does not match the id'
                                 % (ident, side))
    tap.check('sides are valid and match the ids', side_problems)

    name_problems = []
    tested = {}
    for ident, r in tsv_ids.items():
        test = r[5]
        if test == 'untested':
            continue
        names = [t.strip() for t in test.split(';')]
        bad = [t for t in names if not TEST_RE.match(t)]
        if bad or not names:
            name_problems.append('%s: malformed test name(s) %s'
                                 % (ident, ', '.join(repr(b) for b in bad)))
        tested[ident] = names
    tap.check('test names are well-formed', name_problems)

    exist_problems = []
    if tested:
        if not args.tests:
            for ident in sorted(tested):
                exist_problems.append(
                    '%s names %s but the list of existing tests was not given '
                    '(use --tests FILE)' % (ident, '; '.join(tested[ident])))
        else:
            existing = set()
            lp = []
            text = read_text(args.tests, lp)
            exist_problems.extend(lp)
            for line in (text or '').split('\n'):
                line = line.strip()
                if line and not line.startswith('#'):
                    existing.add(line)
            for ident in sorted(tested):
                for t in tested[ident]:
                    if t not in existing:
                        exist_problems.append('%s: test %s does not exist'
                                              % (ident, t))
    tap.check('named tests exist', exist_problems)

    tap.check('references to statements resolve',
              ['line %d refers to %s, which is not a statement' % (line, i)
               for i, line in refs if i not in statements])

    header_structs = sorted(set(STRUCT_RE.findall(header)))
    struct_problems = []
    if not header_structs:
        struct_problems.append('no struct found in %s' % args.header)
    for s in header_structs:
        if not re.search(r'\bstruct ' + s + r'\b', md):
            struct_problems.append('struct %s is not described' % s)
    tap.check('every struct of the header is described in the specification',
              struct_problems)

    defines = {}
    for name, value in DEFINE_RE.findall(header):
        defines[name] = eval_int(value)
    num_problems = []
    table = md_tables_after(md, r'Numbering', r'\|\s*Kind\s*\|\s*Name\s*\|'
                            r'\s*Value\s*\|')
    if not table:
        num_problems.append('no "Kind | Name | Value | Structure" table in '
                            'the Numbering section')
    for cells in table or []:
        if len(cells) < 4:
            num_problems.append('short row: %s' % ' | '.join(cells))
            continue
        kind, name, value, structure = cells[:4]
        name = name.strip('`')
        if name not in defines:
            num_problems.append('%s is not defined in the header' % name)
        elif defines[name] is None or defines[name] != eval_int(value):
            num_problems.append('%s is %s in the specification but %s in the '
                                'header' % (name, value, defines[name]))
        named = re.findall(r'struct (virtio_iommu_[a-z0-9_]+)', structure)
        if kind.lower() in ('request type', 'probe property') and not named:
            num_problems.append('%s %s names no structure' % (kind, name))
        for s in named:
            if s not in header_structs:
                num_problems.append('%s: struct %s is not in the header'
                                    % (name, s))
    tap.check('numbering table matches the header', num_problems)

    layouts = parse_layouts(md)
    lay_problems = []
    for s in header_structs:
        if s not in layouts:
            lay_problems.append('struct %s has no layout table' % s)
    for s, (size, fields, line) in layouts.items():
        for member, v in fields.items():
            if v is None:
                lay_problems.append('line %d: struct %s, %s: offset or size '
                                    'is not a number' % (line, s, member))
    tap.check('every struct of the header has a layout table', lay_problems)

    c_problems = []
    if ctest is None:
        c_problems.append('cannot cross-check: %s is missing' % args.layout_test)
    else:
        c_sizes = {t: int(n) for t, n in C_SIZE_RE.findall(ctest)}
        c_fields = {}
        for t, member, off, sz in C_FIELD_RE.findall(ctest):
            c_fields.setdefault(t, {})[member] = (int(off), int(sz))
        for s in sorted(set(layouts) | set(c_sizes) | set(c_fields)):
            if s not in layouts:
                c_problems.append('struct %s is checked by the C test but has '
                                  'no layout table' % s)
                continue
            size, fields, line = layouts[s]
            if s not in c_sizes:
                c_problems.append('struct %s: no LAYOUT_SIZE in the C test' % s)
            elif c_sizes[s] != size:
                c_problems.append('struct %s: %d bytes in the specification, '
                                  '%d in the C test' % (s, size, c_sizes[s]))
            cf = c_fields.get(s, {})
            for member in sorted(set(fields) | set(cf)):
                if member not in cf:
                    c_problems.append('struct %s: %s is not checked by the C '
                                      'test' % (s, member))
                elif member not in fields:
                    c_problems.append('struct %s: %s is checked by the C test '
                                      'but not in the layout table' % (s, member))
                elif fields[member] != cf[member]:
                    c_problems.append('struct %s: %s is at %s in the '
                                      'specification and %s in the C test'
                                      % (s, member, fields[member], cf[member]))
    tap.check('layout tables agree with tests/unit/test_spec_layout.c',
              c_problems)

    failed = tap.emit(sys.stdout)

    def ratio(select):
        ids = [i for i, r in tsv_ids.items() if select(i, r)]
        return '%d/%d' % (sum(1 for i in ids if i in tested), len(ids))

    sys.stdout.write('# coverage: %s\n' % ratio(lambda i, r: True))
    for level in LEVELS:
        sys.stdout.write('# coverage %s: %s\n'
                         % (level, ratio(lambda i, r, lv=level: r[2] == lv)))
    for side in SIDES:
        sys.stdout.write('# coverage %s: %s\n'
                         % (side, ratio(lambda i, r, sd=side: r[3] == sd)))
    for origin in ('NEST', 'STD'):
        sys.stdout.write('# coverage %s: %s\n'
                         % (origin, ratio(lambda i, r, o=origin:
                                          i.startswith(o + '-'))))
    return 1 if failed else 0


if __name__ == '__main__':
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
