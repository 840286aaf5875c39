// src/generated is committed (a build needs no codegen): it must be what `npm run codegen`
// makes from ../schema/schema.graphql and src/graphql today.
import { generate } from "@graphql-codegen/cli";
import { expect, it } from "vitest";
import config from "../codegen";

const committed = import.meta.glob<string>("./generated/*.ts", { query: "?raw", import: "default", eager: true });

it("src/generated is up to date with the schema and the operations (else: npm run codegen)", { timeout: 60_000 }, async () => {
  const made: { filename: string; content: string }[] = await generate(config, false);
  const expected = Object.fromEntries(made.map((file) => [`./${file.filename.replace(/^src\//, "")}`, file.content]));
  expect(Object.keys(committed).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, content] of Object.entries(expected)) expect(committed[name], name).toBe(content);
});
