"""Product full-text search and append-only guards on the movement ledger.

SQLite: an FTS5 table (unicode61 tokenizer with diacritics removed) kept in sync by triggers.
PostgreSQL: unaccent + an immutable wrapper, a generated tsvector column (spanish) with a GIN index.
Both: triggers that reject UPDATE and DELETE on stock_movements (the ledger is append-only).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE products_fts USING fts5(
        sku UNINDEXED, name, category, tokenize = 'unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER products_fts_ai AFTER INSERT ON products BEGIN
        INSERT INTO products_fts(sku, name, category) VALUES (new.sku, new.name, new.category);
    END""",
    """CREATE TRIGGER products_fts_au AFTER UPDATE OF name, category ON products BEGIN
        UPDATE products_fts SET name = new.name, category = new.category WHERE sku = old.sku;
    END""",
    """CREATE TRIGGER products_fts_ad AFTER DELETE ON products BEGIN
        DELETE FROM products_fts WHERE sku = old.sku;
    END""",
    "INSERT INTO products_fts(sku, name, category) SELECT sku, name, category FROM products",
    """CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements BEGIN
        SELECT RAISE(ABORT, 'stock_movements is append-only');
    END""",
    """CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements BEGIN
        SELECT RAISE(ABORT, 'stock_movements is append-only');
    END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS stock_movements_no_delete",
    "DROP TRIGGER IF EXISTS stock_movements_no_update",
    "DROP TRIGGER IF EXISTS products_fts_ad",
    "DROP TRIGGER IF EXISTS products_fts_au",
    "DROP TRIGGER IF EXISTS products_fts_ai",
    "DROP TABLE IF EXISTS products_fts",
]

POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    # unaccent() is only STABLE; a generated column needs an IMMUTABLE function with a fixed dictionary.
    """CREATE OR REPLACE FUNCTION mestocker_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$""",
    """ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('spanish', mestocker_unaccent(coalesce(name, ''))), 'A') ||
        setweight(to_tsvector('spanish', mestocker_unaccent(coalesce(category, ''))), 'B')) STORED""",
    "CREATE INDEX ix_products_search_vector ON products USING gin (search_vector)",
    """CREATE OR REPLACE FUNCTION mestocker_ledger_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'stock_movements is append-only'; END $$""",
    """CREATE TRIGGER stock_movements_append_only BEFORE UPDATE OR DELETE ON stock_movements
        FOR EACH ROW EXECUTE FUNCTION mestocker_ledger_append_only()""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS stock_movements_append_only ON stock_movements",
    "DROP FUNCTION IF EXISTS mestocker_ledger_append_only()",
    "DROP INDEX IF EXISTS ix_products_search_vector",
    "ALTER TABLE products DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS mestocker_unaccent(text)",
]


def _statements(up: bool) -> list[str]:
    if op.get_bind().dialect.name == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    return SQLITE_UP if up else SQLITE_DOWN


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
