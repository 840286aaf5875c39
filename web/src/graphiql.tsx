// GraphiQL, bundled into the build and served at GET /graphql, so it works without the
// internet (the IDE strawberry ships loads its scripts from a public CDN).
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { TOKEN_KEY } from "./api";

interface Params {
  query: string;
  variables?: unknown;
  operationName?: string | null;
}

async function fetcher(params: Params, options?: { headers?: Record<string, unknown> }) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  for (const [k, v] of Object.entries(options?.headers ?? {})) headers[k.toLowerCase()] = String(v);
  const response = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify(params) });
  return response.json();
}

const DEFAULT_QUERY = `# The lineage graph over GraphQL. Ctrl-Enter runs the query; the Docs pane lists the schema.
query Search {
  search(query: "orders", first: 5) {
    nodes {
      __typename
      id
      kind
    }
  }
}
`;

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher as never} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
