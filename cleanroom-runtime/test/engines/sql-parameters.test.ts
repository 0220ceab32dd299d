import { ParameterError, substituteParameters } from '../../src/engines/sql-parameters';

const params = { country: 'FR', min: '10', table: 'publisher.users', text: "it's", evil: "x' OR 1=1 --" };

describe('substituteParameters', () => {
  test('replaces placeholders in code, strings and identifiers', () => {
    expect(substituteParameters("SELECT * FROM ${table} WHERE n > ${min} AND c = '${country}' AND \"${country}\" = 1", params)).toBe(
      "SELECT * FROM publisher.users WHERE n > 10 AND c = 'FR' AND \"FR\" = 1",
    );
  });

  test('a missing parameter names it and the parameters that were given', () => {
    expect(() => substituteParameters('SELECT ${threshold}', { output: 'gs://b/o' })).toThrow(ParameterError);
    expect(() => substituteParameters('SELECT ${threshold}', { output: 'gs://b/o' })).toThrow(/parameter \$\{threshold\}.*given: output/);
  });

  test('a quote in a value cannot end the string it is placed in', () => {
    expect(substituteParameters("SELECT '${evil}'", params)).toBe("SELECT 'x'' OR 1=1 --'");
    expect(substituteParameters("SELECT '${text}' || 'b'", params)).toBe("SELECT 'it''s' || 'b'");
    expect(substituteParameters('SELECT "${evil}"', { evil: 'a" FROM x --' })).toBe('SELECT "a"" FROM x --"');
  });

  test('in E-strings backslashes are escaped too', () => {
    expect(substituteParameters("SELECT E'${v}'", { v: "\\'; DROP" })).toBe("SELECT E'\\\\''; DROP'");
  });

  test('outside quotes only numbers and names are accepted', () => {
    expect(substituteParameters('SELECT ${n}, ${m}, ${x}', { n: '-1.5e3', m: 'a.b_c', x: 'true' })).toBe('SELECT -1.5e3, a.b_c, true');
    expect(() => substituteParameters('SELECT * FROM t WHERE n > ${min}', { min: '0 UNION ALL SELECT email FROM publisher.users' })).toThrow(
      /used outside quotes.*must be a number or a name.*'\$\{min\}'/,
    );
    expect(() => substituteParameters('SELECT ${x}', { x: '1; DROP TABLE t' })).toThrow(ParameterError);
  });

  test('values are not scanned again, quotes in code after a literal are tracked', () => {
    expect(substituteParameters("SELECT '${a}', ${b}", { a: '${b}', b: '2' })).toBe("SELECT '${b}', 2");
    expect(substituteParameters("SELECT 'it''s ${a}', ${b}", { a: "'", b: '3' })).toBe("SELECT 'it''s ''', 3");
  });

  test('comments are left alone', () => {
    expect(substituteParameters('-- uses ${nothing}\nSELECT 1 /* ${nothing} */', {})).toBe('-- uses ${nothing}\nSELECT 1 /* ${nothing} */');
  });

  test('dollar-quoted strings take values verbatim unless they would close the string', () => {
    expect(substituteParameters("SELECT $$it's ${a}$$, ${b}", { a: "x'y", b: '1' })).toBe("SELECT $$it's x'y$$, 1");
    expect(() => substituteParameters('SELECT $$${a}$$', { a: '$$, (SELECT 1) --' })).toThrow(/would end/);
  });
});
