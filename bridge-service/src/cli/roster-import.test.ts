import { describe, expect, it } from 'vitest';
import { parseCsv, writeCsv } from './csv.ts';
import { checkRosterCsv, problemText } from './roster-import.ts';

describe('CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, keeping each record\'s first line', () => {
    const recs = parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n\n"two\nlines",z\n');
    expect(recs).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 4, fields: ['two\nlines', 'z'] },
    ]);
  });

  it('names the line of an unclosed quote', () => {
    expect(() => parseCsv('a\n"open,b\n')).toThrow(/line 2: a quoted field is not closed/);
  });

  it('writes what it reads', () => {
    const text = writeCsv(['h1', 'h2'], [['a,b', 'q"q'], [1, null]]);
    expect(parseCsv(text).map((r) => r.fields)).toEqual([['h1', 'h2'], ['a,b', 'q"q'], ['1', '']]);
  });
});

describe('roster CSV check', () => {
  it('turns lines into supporter and counsellor records', () => {
    const { rows, problems } = checkRosterCsv('USER_ID,Role,topics,training\n@a:x.example,supporter,t1; t2,m1:2:2025-01-31\n@c:x.example,counsellor,,\n', null);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { line: 2, role: 'supporter', user_id: '@a:x.example', body: { topics: ['t1', 't2'], training: [{ module: 'm1', version: 2, completed: '2025-01-31' }], capacity: null, active: true } },
      { line: 3, role: 'counsellor', user_id: '@c:x.example', body: { active: true } },
    ]);
  });

  it('reports every problem with line, column and what was expected', () => {
    const { problems } = checkRosterCsv([
      'user_id,role,training,capacity',
      'alice,supporter,m1:2:2025-02-30,0',
      '@b:x.example,supporter,,',
      '@b:x.example,supporter,,',
      '@c:x.example,counsellor',
    ].join('\n'), null);
    expect(problems.map(problemText)).toEqual([
      "line 2, column 1 (user_id): expected a Matrix user id such as @s-7kq2m9:school.example, found 'alice'",
      "line 2, column 3 (training): expected 'module:version:YYYY-MM-DD' (completion date) entries separated by ';', found 'm1:2:2025-02-30'",
      "line 2, column 4 (capacity): expected a whole number 1-50 or empty (the policy's default), found '0'",
      'line 4, column 1 (user_id): @b:x.example already has a supporter line (line 3)',
      'line 5: expected 4 fields like the header, found 2',
    ]);
  });

  it('rejects a header without the required columns or with unknown ones', () => {
    expect(checkRosterCsv('user,role\n', null).problems.map(problemText)).toEqual([
      "line 1, column 1 (user): unknown column 'user' (expected one of user_id, role, topics, training, active, capacity, team)",
      "line 1: the header has no 'user_id' column (expected at least user_id, role)",
    ]);
    expect(checkRosterCsv('', null).problems[0]!.message).toContain('the file is empty');
  });
});
