// The one way the explorer talks to the server: GraphQL over POST /graphql.
import fragments from "./graphql/fragments.graphql?raw";

export class GraphQLFailure extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

const FRAGMENTS: Record<string, string> = {};
for (const part of fragments.split(/(?=^fragment )/m)) {
  const name = /^fragment (\w+)/.exec(part.trim())?.[1];
  if (name) FRAGMENTS[name] = part.trim();
}

/** The document with the shared fragments it spreads appended. */
export function document(text: string): string {
  const used = Object.keys(FRAGMENTS).filter((name) => text.includes(`...${name}`));
  return [text, ...used.map((name) => FRAGMENTS[name])].join("\n");
}

/** Pick one operation out of a .graphql file that holds several. */
export function operation(file: string, name: string): string {
  const parts = file.split(/(?=^query )/m);
  const found = parts.find((p) => p.startsWith(`query ${name}(`) || p.startsWith(`query ${name} `));
  if (!found) throw new Error(`no operation ${name}`);
  return found;
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query: document(query), variables }),
    signal,
  });
  let body: { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    body = await response.json();
  } catch {
    throw new GraphQLFailure(`the server answered ${response.status} ${response.statusText}`);
  }
  if (body.errors?.length) {
    const first = body.errors[0];
    throw new GraphQLFailure(first.message, first.extensions?.code);
  }
  if (!body.data) throw new GraphQLFailure(`the server answered ${response.status} without data`);
  return body.data;
}
