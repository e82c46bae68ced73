"""docs/datasette.md's examples are tests, run the way its reader runs them: the block marked
`<!-- setup: app.db -->` builds app.db (in Python with strata loaded, as the sqlite3 shell
would), the one marked `<!-- setup: metadata.json -->` is Datasette's metadata, and Datasette
0.64.8 with the plugin's wheels serves them; every other ```sql block then runs statement by
statement as a visitor through /app.json. Rows print as docs_examples prints them (the sqlite3
shell's list mode), errors as `Error: <Datasette's message>`."""

import re

import datasette_host
import docs_examples
import docs_fixtures
import helpers

DOC = helpers.ROOT / "docs" / "datasette.md"
SETUP = re.compile(r"^<!--\s*setup:\s*(\S+)\s*-->\n(`{3,})\w*\n(.*?)\n\2$", re.M | re.S)


def setup_blocks(markdown):
    """{file name: text} of the setup blocks, and the fence lines they start at."""
    blocks, lines = {}, set()
    for m in SETUP.finditer(markdown):
        blocks[m.group(1)] = m.group(3)
        lines.add(markdown.count("\n", 0, m.start()) + 2)
    return blocks, lines


def visitor_run(ds, sql):
    out = []
    for statement in docs_examples.split_statements(sql):
        try:
            for row in ds.query("app", statement):
                out.append("|".join(docs_examples.format_value(v) for v in row.values()))
        except datasette_host.QueryError as e:
            out.append(f"Error: {e}")
    return "\n".join(out)


def test_datasette_md_examples(tmp_path):
    text = DOC.read_text()
    assert docs_examples.runs_elsewhere(text)
    blocks, setup_lines = setup_blocks(text)
    assert set(blocks) == {"app.db", "metadata.json"}
    conn = helpers.connect(database=str(tmp_path / "app.db"))
    conn.executescript(blocks["app.db"])
    conn.close()
    (tmp_path / "metadata.json").write_text(blocks["metadata.json"])
    docs_fixtures.prepare("embed.md", tmp_path)  # mini.gguf
    examples = [e for e in docs_examples.parse(text) if e.line not in setup_lines]
    assert len(examples) >= 3
    failures = []
    with datasette_host.Server(tmp_path / "app.db", "--memory", "-m", tmp_path / "metadata.json",
                               cwd=tmp_path, env={"OPENAI_API_KEY": "sk-docs-example"},
                               python=datasette_host.plugin_python()) as ds:
        for ex in examples:
            problem = docs_examples.failure("datasette.md", ex, visitor_run(ds, ex.sql))
            if problem:
                failures.append(problem)
        # the page's claim about _memory: the lock, not SQLite, refuses there
        try:
            ds.query("_memory", "WITH x AS (SELECT 1) INSERT INTO temp.rembed_clients(name, "
                                "options) SELECT 'mine', 'ollama' FROM x")
            failures.append("datasette.md: _memory accepted a visitor's client")
        except datasette_host.QueryError as e:
            assert "rembed_clients: registries are locked on this connection" in str(e)
    assert not failures, "\n\n".join(failures)
