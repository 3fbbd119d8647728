import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FINGERPRINT_ID_RE, fingerprint, normalizeStatement } from "./fingerprint";
import { FINGERPRINT_CORPUS } from "./fingerprint-corpus";

describe("fingerprint corpus", () => {
  it("has at least 40 statements in both dialects", () => {
    expect(FINGERPRINT_CORPUS.length).toBeGreaterThanOrEqual(40);
    expect(FINGERPRINT_CORPUS.some((c) => c.dialect === "mysql")).toBe(true);
    expect(FINGERPRINT_CORPUS.some((c) => c.dialect === "postgresql")).toBe(true);
  });

  it.each(FINGERPRINT_CORPUS.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const fp = fingerprint(c.sql);
    expect(fp.text).toBe(c.expected);
    expect(fp.id).toMatch(FINGERPRINT_ID_RE);
    // Normalizing a normalized statement changes nothing (agents already send normalized text).
    expect(fingerprint(fp.text)).toEqual(fp);
  });
});

describe("fingerprint ids", () => {
  const same = (a: string, b: string) => expect(fingerprint(a).id).toBe(fingerprint(b).id);
  const differ = (a: string, b: string) => expect(fingerprint(a).id).not.toBe(fingerprint(b).id);

  it("ignores constants", () => {
    same("SELECT * FROM orders WHERE id = 5", "SELECT * FROM orders WHERE id = 7");
    same("SELECT * FROM orders WHERE id = 5", "select * from orders where id = $1");
    same("SELECT * FROM t WHERE name = 'a'", "SELECT * FROM t WHERE name = 'it''s a \\'b\\''");
    same("SELECT * FROM t WHERE x > -1.5e3", "SELECT * FROM t WHERE x > 2");
  });

  it("ignores list lengths", () => {
    same("SELECT * FROM t WHERE id IN (1,2,3)", "SELECT * FROM t WHERE id IN (4,5)");
    same("SELECT * FROM t WHERE id IN ($1)", "SELECT * FROM t WHERE id IN ($1, $2, $3, $4)");
    same("INSERT INTO t (a, b) VALUES (1, 2)", "INSERT INTO t (a, b) VALUES (1, 2), (3, 4), (5, 6)");
    same("SELECT * FROM t WHERE id = ANY(ARRAY[1])", "SELECT * FROM t WHERE id = ANY(ARRAY[1, 2, 3])");
  });

  it("ignores comments, case of keywords and spacing", () => {
    same("SELECT a FROM t WHERE a=1", "/* api:list */ select  a\n  from t -- hot\n where a = 2;");
  });

  it("keeps what changes the query", () => {
    differ("SELECT * FROM orders WHERE id = 1", "SELECT * FROM orders WHERE customer_id = 1");
    differ("SELECT * FROM t WHERE a = TRUE", "SELECT * FROM t WHERE a = FALSE");
    differ("SELECT * FROM t WHERE a IS NULL", "SELECT * FROM t WHERE a IS NOT NULL");
    differ("SELECT x::int FROM t", "SELECT x::text FROM t");
    differ('SELECT "Total" FROM t', 'SELECT "total" FROM t');
  });

  it("is the first 16 hex digits of the SHA-1 of the text, so ids survive restarts and releases", () => {
    expect(fingerprint("SELECT * FROM orders WHERE id = 42")).toEqual({
      text: "SELECT * FROM orders WHERE id = ?",
      id: "56df6a643f4ae012",
    });
  });
});

describe("fingerprint robustness", () => {
  it("never throws and is idempotent on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const text = normalizeStatement(s);
        expect(normalizeStatement(text)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws and is idempotent on SQL-ish fragments", () => {
    const piece = fc.constantFrom(
      "SELECT",
      " ",
      "'",
      "''",
      '"',
      "`",
      "$$",
      "$1",
      "$tag$",
      "--",
      "/*",
      "*/",
      "#",
      "\n",
      "(",
      ")",
      "[",
      "]",
      ",",
      "-",
      "1",
      ".5",
      "e",
      "IN",
      "VALUES",
      "::",
      ":",
      "?",
      "\\",
      "E",
      "x",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (parts) => {
        const text = normalizeStatement(parts.join(""));
        expect(normalizeStatement(text)).toBe(text);
      }),
      { numRuns: 3000 },
    );
  });

  it("fingerprints an unterminated (truncated) statement by its prefix", () => {
    expect(normalizeStatement("SELECT * FROM t WHERE a = 'abc")).toBe("SELECT * FROM t WHERE a = ?");
  });

  it("handles 10 000 statements in a few hundred milliseconds", () => {
    const sql = FINGERPRINT_CORPUS.map((c) => c.sql);
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) fingerprint(`${sql[i % sql.length]} /* ${i} */`);
    expect(performance.now() - t0).toBeLessThan(3000);
  });
});
