// GraphQL Code Generator (`npm run codegen`): typed documents for the operations in
// src/graphql/**/*.graphql, checked against the checked-in ../schema/schema.graphql, written
// to src/generated/ (committed, so a build needs no codegen; `npm test` fails when it is stale).
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema/schema.graphql",
  documents: ["src/graphql/**/*.graphql"],
  generates: {
    "src/generated/": {
      preset: "client",
      // Results keep the fields their fragments select (no masking): the graph model reads them.
      presetConfig: { fragmentMasking: false },
      config: {
        // The query text itself, sent as is by graphql-request.
        documentMode: "string",
        scalars: { DateTime: "string", JSON: "unknown", BigInt: "number" },
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        skipTypename: false,
        nonOptionalTypename: true,
        useTypeImports: true,
      },
    },
  },
  silent: true,
  errorsOnly: true,
};

export default config;
