/**
 * README.md's generated blocks: the splice itself, and that the main table shown in the
 * README holds the same cells as `results/reproduce/tables/main.md` (a stale README after a
 * rerun of `reproduce` fails here until `deno task readme` is run).
 */
import { assert, assertEquals } from "./_assert.ts";
import { readBlock, replaceBlock } from "../cli/readme.ts";

const root = new URL("..", import.meta.url);

Deno.test("replaceBlock swaps the text between the markers and keeps the rest", () => {
  const text = "a\n<!-- BEGIN generated:x -->\nold\n<!-- END generated:x -->\nb\n";
  assertEquals(
    replaceBlock(text, "x", "\nnew 1\nnew 2\n\n"),
    "a\n<!-- BEGIN generated:x -->\nnew 1\nnew 2\n<!-- END generated:x -->\nb\n",
  );
});

Deno.test("replaceBlock names the block whose markers are missing", () => {
  let message = "";
  try {
    replaceBlock("no markers here", "main-table", "x");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("generated:main-table"), message);
});

/** Table rows of a markdown text as trimmed cells; separator rows dropped. */
function tableCells(markdown: string): string[][] {
  return markdown.split("\n")
    .filter((line) => line.trim().startsWith("|") && !/^\|[\s:|-]+\|$/.test(line.trim()))
    .map((line) => line.trim().slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
}

Deno.test("the README's main table is the one in results/reproduce/tables/main.md", async () => {
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const table = await Deno.readTextFile(new URL("results/reproduce/tables/main.md", root));
  const shown = tableCells(readBlock(readme, "main-table"));
  const expected = tableCells(table);
  assert(expected.length > 2, "results/reproduce/tables/main.md has no table rows");
  assertEquals(shown, expected, "README.md is stale: run `deno task readme`");
});
