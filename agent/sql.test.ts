import { describe, expect, it } from "vitest";
import { normalizeSql, sqlOperation } from "./sql";

describe("normalizeSql", () => {
  const cases: [string, string][] = [
    ["SELECT * FROM orders WHERE id = 42", "SELECT * FROM orders WHERE id = $1"],
    ["SELECT * FROM orders WHERE id = $1", "SELECT * FROM orders WHERE id = $1"],
    // literals are numbered after the statement's own highest placeholder
    ["SELECT * FROM t WHERE a = $2 AND b = 'x' AND c = 3.5", "SELECT * FROM t WHERE a = $2 AND b = $3 AND c = $4"],
    ["select name from users where email = 'o''brien@example.com'", "select name from users where email = $1"],
    ["SELECT E'it\\'s', 'plain'", "SELECT $1, $2"],
    ["SELECT $$dollar 'quoted' text$$, $tag$x$tag$", "SELECT $1, $2"],
    ["SELECT * FROM t WHERE id IN (1, 2, 3, 4)", "SELECT * FROM t WHERE id IN (...)"],
    ["SELECT * FROM t WHERE id IN ($1,$2,$3) AND k = $4", "SELECT * FROM t WHERE id IN (...) AND k = $4"],
    ["SELECT * FROM t WHERE id in ('a','b')", "SELECT * FROM t WHERE id in (...)"],
    ["SELECT * FROM t WHERE id IN ($1::int, $2::int)", "SELECT * FROM t WHERE id IN (...)"],
    // a subquery is not a list
    [
      "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = 5)",
      "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = $1)",
    ],
    ["SELECT * FROM t WHERE id = ANY(ARRAY[1,2,3])", "SELECT * FROM t WHERE id = ANY(ARRAY[...])"],
    ["INSERT INTO t (a, b) VALUES (1, 'x'), (2, 'y'), (3, 'z')", "INSERT INTO t (a, b) VALUES ($1, $2), ..."],
    ["INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)", "INSERT INTO t (a, b) VALUES ($1, $2), ..."],
    ["INSERT INTO t (a) VALUES (now())", "INSERT INTO t (a) VALUES (now())"],
    ["SELECT  *\n  FROM\torders\n\n WHERE  id = 1", "SELECT * FROM orders WHERE id = $1"],
    [
      "SELECT 1 -- trailing comment\nFROM t /* block /* nested */ comment */ WHERE x = 2",
      "SELECT $1 FROM t WHERE x = $2",
    ],
    ["SELECT * FROM t WHERE a = -1 AND b > -2.5e3", "SELECT * FROM t WHERE a = $1 AND b > $2"],
    ["SELECT a - 1 FROM t", "SELECT a - $1 FROM t"],
    ["SELECT a-1 FROM t", "SELECT a-$1 FROM t"],
    ['SELECT "col1", t2.c3 FROM "Table 9" t2', 'SELECT "col1", t2.c3 FROM "Table 9" t2'],
    ["SELECT x::int, '2024-01-01'::date FROM t", "SELECT x::int, $1::date FROM t"],
    ["SELECT * FROM t LIMIT 10 OFFSET 20", "SELECT * FROM t LIMIT $1 OFFSET $2"],
    ["SELECT * FROM t WHERE flag = true AND y IS NULL", "SELECT * FROM t WHERE flag = true AND y IS NULL"],
    ["UPDATE t SET v = v + 1 WHERE id = 7", "UPDATE t SET v = v + $1 WHERE id = $2"],
    ["SELECT 0x1F, 1_000_000, .5", "SELECT $1, $2, $3"],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)}`, () => {
      expect(normalizeSql(input)).toBe(expected);
    });
  }

  it("uses ? when asked", () => {
    expect(normalizeSql("SELECT * FROM t WHERE a = 1 AND b = 'x' AND c IN (1,2)", { placeholder: "?" })).toBe(
      "SELECT * FROM t WHERE a = ? AND b = ? AND c IN (...)",
    );
  });

  it("maps the same query with other constants to one statement", () => {
    const a = normalizeSql("SELECT * FROM orders WHERE customer_id = 17 AND status IN ('new','paid')");
    const b = normalizeSql("SELECT *  FROM orders WHERE customer_id = 99812 AND status IN ('new')");
    expect(a).toBe(b);
  });

  it("truncates to 200 characters by default", () => {
    const long = `SELECT ${Array.from({ length: 100 }, (_, i) => `column_${i}`).join(", ")} FROM t`;
    const out = normalizeSql(long);
    expect(out).toHaveLength(200);
    expect(out.startsWith("SELECT column_0, column_1")).toBe(true);
    expect(normalizeSql(long, { maxLength: 50 })).toHaveLength(50);
  });

  it("never leaks a string literal even when unterminated", () => {
    expect(normalizeSql("SELECT * FROM t WHERE secret = 'hunter2")).toBe("SELECT * FROM t WHERE secret = $1");
  });
});

describe("sqlOperation", () => {
  it.each([
    ["SELECT 1", "SELECT"],
    ["  select * from t", "SELECT"],
    ["insert into t values (1)", "INSERT"],
    ["UPDATE t SET a = 1", "UPDATE"],
    ["DELETE FROM t", "DELETE"],
    ["WITH x AS (SELECT 1), y AS (DELETE FROM t RETURNING *) INSERT INTO z SELECT * FROM x", "INSERT"],
    ["WITH RECURSIVE r AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT * FROM r", "SELECT"],
    ["(SELECT 1) UNION (SELECT 2)", "SELECT"],
    ["/* hint */ SELECT 1", "SELECT"],
    ["BEGIN", "BEGIN"],
    ["commit", "COMMIT"],
    ["CREATE TABLE t (a int)", "CREATE"],
    ["", "OTHER"],
  ])("%s → %s", (sql, op) => {
    expect(sqlOperation(sql)).toBe(op);
  });
});
