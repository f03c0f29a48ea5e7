/**
 * Column types across engines (pure). A type read from a results file is
 * untrusted text: it is only ever written back into SQL when it matches a
 * plain shape (`DOUBLE`, `VARCHAR(20)`, `DECIMAL(10, 2)`, `INTEGER[]`);
 * anything else falls back to a safe type of the same family.
 */

/** Which engine's type system a column belongs to (parquet is read through DuckDB). */
export type Engine = 'sqlite' | 'duckdb';

/** What a value of a column is, whatever the engine calls its type. */
export type TypeFamily = 'integer' | 'real' | 'text' | 'blob' | 'boolean' | 'other';

const PLAIN_SQLITE_TYPE = /^[A-Za-z][A-Za-z0-9_]*( [A-Za-z][A-Za-z0-9_]*)*(\(\s*[+-]?\d+\s*(,\s*[+-]?\d+\s*)?\))?$/;
const PLAIN_DUCK_TYPE = /^[A-Z][A-Z0-9_]*( [A-Z][A-Z0-9_]*)*(\(\d+(, ?\d+)?\))?(\[\d*\])*$/;

/** The type as it may appear in SQL, or null when it is not a plain type name. */
export function plainType(engine: Engine, type: string): string | null {
  const t = type.trim();
  if (t === '') return engine === 'sqlite' ? '' : null;
  return (engine === 'sqlite' ? PLAIN_SQLITE_TYPE : PLAIN_DUCK_TYPE).test(t) ? t : null;
}

/** SQLite's column affinity rules (https://sqlite.org/datatype3.html §3.1), as a family. */
export function sqliteFamily(type: string): TypeFamily {
  const t = type.toUpperCase();
  if (t.includes('INT')) return 'integer';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'text';
  if (t === '' || t.includes('BLOB')) return 'blob';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'real';
  if (t.startsWith('BOOL')) return 'boolean';
  return 'other'; // NUMERIC affinity: DECIMAL, DATE, DATETIME...
}

const DUCK_INTEGERS = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER']);
/** Integers that may not fit a signed 64-bit value (or a JS number): they travel as text. */
const DUCK_WIDE_INTEGERS = new Set(['UBIGINT', 'HUGEINT', 'UHUGEINT', 'BIGNUM', 'VARINT']);

/** The family of a DuckDB type name (as DuckDB prints it). */
export function duckFamily(type: string): TypeFamily {
  const t = type.toUpperCase().trim();
  if (DUCK_INTEGERS.has(t)) return 'integer';
  if (DUCK_WIDE_INTEGERS.has(t)) return 'other';
  if (t === 'FLOAT' || t === 'DOUBLE' || t === 'REAL' || t.startsWith('DECIMAL') || t.startsWith('NUMERIC')) return 'real';
  if (t === 'BOOLEAN') return 'boolean';
  if (t === 'BLOB' || t === 'BYTEA') return 'blob';
  if (t === 'VARCHAR' || t.startsWith('VARCHAR(')) return 'text';
  return 'other';
}

/**
 * The type a column gets in the target when it comes from a source of
 * another (or the same) engine: same engine keeps a plain type; crossing
 * engines maps the family.
 */
export function mapColumnType(from: Engine, to: Engine, type: string): string {
  if (from === to) return plainType(to, type) ?? (to === 'sqlite' ? '' : 'VARCHAR');
  if (to === 'sqlite') {
    switch (duckFamily(type)) {
      case 'integer':
      case 'boolean':
        return 'INTEGER';
      case 'real':
        return 'REAL';
      case 'blob':
        return 'BLOB';
      default:
        return DUCK_WIDE_INTEGERS.has(type.toUpperCase().trim()) ? 'INTEGER' : 'TEXT';
    }
  }
  switch (sqliteFamily(type)) {
    case 'integer':
      return 'BIGINT';
    case 'real':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'blob':
      // SQLite's untyped columns hold anything; text is the one type every value converts to.
      return type.trim() === '' ? 'VARCHAR' : 'BLOB';
    default:
      return 'VARCHAR';
  }
}

/**
 * How to select a DuckDB column so that its values bind to SQLite: integers,
 * doubles, text and blobs pass as they are; everything else (timestamps,
 * decimals, lists, enums...) is cast to the value SQLite will store.
 */
export function duckValueForSqlite(quotedColumn: string, type: string): string {
  switch (duckFamily(type)) {
    case 'integer':
    case 'blob':
    case 'text':
      return quotedColumn;
    case 'boolean':
      return `CAST(${quotedColumn} AS INTEGER)`;
    case 'real':
      return `CAST(${quotedColumn} AS DOUBLE)`;
    default:
      return `CAST(${quotedColumn} AS VARCHAR)`;
  }
}
