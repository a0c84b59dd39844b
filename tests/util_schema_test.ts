import { assertEquals, assertThrowsMatching } from "./_assert.ts";
import { arr, bool, describeSchema, int, num, obj, oneOf, validate } from "../lib/util/schema.ts";

const schema = {
  lr: num({ default: 0.001, min: 0, exclusiveMin: true, doc: "learning rate" }),
  epochs: int({ default: 20, min: 1 }),
  layers: arr<number>(int({ min: 1 }), { default: [64, 32, 16, 8] }),
  optimizer: oneOf(["adam", "sgd"] as const, { default: "adam" }),
  early: obj({ patience: int({ default: 3, min: 0 }), enabled: bool({ default: true }) }),
  name: { kind: "string" as const },
};

Deno.test("schema: defaults are filled, given values kept", () => {
  const v = validate(schema, { name: "x", lr: 0.01, early: { patience: 5 } }, "model");
  assertEquals(v, {
    lr: 0.01,
    epochs: 20,
    layers: [64, 32, 16, 8],
    optimizer: "adam",
    early: { patience: 5, enabled: true },
    name: "x",
  });
});

Deno.test("schema: unknown key names the path and the nearest key", async () => {
  await assertThrowsMatching(
    () => validate(schema, { name: "x", learningrate: 1, lrr: 2 }, "model"),
    /model\.learningrate: unknown key/,
  );
  await assertThrowsMatching(
    () => validate(schema, { name: "x", epoch: 3 }, "model"),
    /model\.epoch: unknown key \(did you mean "epochs"\?\)/,
  );
  await assertThrowsMatching(
    () => validate(schema, { name: "x", early: { patiense: 1 } }, "model"),
    /model\.early\.patiense: unknown key \(did you mean "patience"\?\)/,
  );
});

Deno.test("schema: wrong types and ranges name key and value", async () => {
  await assertThrowsMatching(
    () => validate(schema, { name: "x", lr: -1 }),
    /lr: expected a value > 0, got -1/,
  );
  await assertThrowsMatching(
    () => validate(schema, { name: "x", lr: "fast" }),
    /lr: expected a finite number, got "fast"/,
  );
  await assertThrowsMatching(
    () => validate(schema, { name: "x", epochs: 2.5 }),
    /epochs: expected an integer/,
  );
  await assertThrowsMatching(
    () => validate(schema, { name: "x", layers: [64, 0] }),
    /layers\[1\]: expected a value >= 1, got 0/,
  );
  await assertThrowsMatching(
    () => validate(schema, { name: "x", optimizer: "adma" }),
    /optimizer: expected one of "adam", "sgd", got "adma" \(did you mean "adam"\?\)/,
  );
  await assertThrowsMatching(() => validate(schema, {}), /name: required key is missing/);
});

Deno.test("schema: describeSchema lists nested keys", () => {
  const md = describeSchema(schema);
  for (const k of ["`lr`", "`early.patience`", "`layers`"]) {
    if (!md.includes(k)) throw new Error(`missing ${k} in\n${md}`);
  }
});
