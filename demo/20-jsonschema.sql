-- jsonschema: JSON Schema validation in SQL (drafts 4 to 2020-12).
-- A table whose CHECK constraint only admits orders matching a schema.
CREATE TABLE orders(id INTEGER PRIMARY KEY, doc TEXT CHECK (jsonschema_matches('{
  "type": "object",
  "required": ["customer", "items"],
  "properties": {
    "customer": {"type": "string", "minLength": 1},
    "items": {"type": "array", "minItems": 1, "items": {
      "type": "object", "required": ["sku", "qty"],
      "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                     "qty": {"type": "integer", "minimum": 1}}}}
  }
}', doc)));
INSERT INTO orders(doc) VALUES ('{"customer": "ada", "items": [{"sku": "ABC-0001", "qty": 2}]}');
-- This row breaks the schema: OR IGNORE turns the CHECK failure into a skipped row.
INSERT OR IGNORE INTO orders(doc) VALUES ('{"customer": "bob", "items": [{"sku": "abc", "qty": 0}]}');
SELECT count(*) AS accepted_orders FROM orders;

-- Rows that were stored before a schema existed: list which ones fail it, and why.
CREATE TABLE legacy(id INTEGER PRIMARY KEY, doc TEXT);
INSERT INTO legacy(doc) VALUES
  ('{"customer": "cy", "items": [{"sku": "XYZ-0042", "qty": 1}]}'),
  ('{"customer": "", "items": []}'),
  ('{"items": [{"sku": "XYZ-42", "qty": 1.5}]}'),
  ('not json at all');
SELECT legacy.id, e.instanceLocation AS location, e.error
FROM legacy, jsonschema_errors((SELECT substr(sql, instr(sql, '''{') + 1,
                                              instr(sql, '}''') - instr(sql, '''{'))
                                FROM sqlite_schema WHERE name = 'orders'), legacy.doc) AS e
ORDER BY legacy.id;
