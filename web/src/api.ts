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

/** Pick one operation (a query or a mutation) out of a .graphql file that holds several. */
export function operation(file: string, name: string): string {
  const parts = file.split(/(?=^(?:query|mutation) )/m);
  const found = parts.find((p) => [`query ${name}`, `mutation ${name}`].some((head) => p.startsWith(`${head}(`) || p.startsWith(`${head} `)));
  if (!found) throw new Error(`no operation ${name}`);
  return found;
}

/** Where a bearer token given by the person is kept for this tab (servers with LINEAGE_TOKENS). */
export const TOKEN_KEY = "lineage-token";
let asking: Promise<string | null> | null = null;

/** Ask once for a token, however many requests were refused at the same time. */
function askForToken(): Promise<string | null> {
  asking ??= Promise.resolve(
    window.prompt("This server needs a bearer token with the 'read' scope (and 'ingest' to change incidents):"),
  ).then((token) => {
    asking = null;
    const given = token?.trim() || null;
    if (given) sessionStorage.setItem(TOKEN_KEY, given);
    return given;
  });
  return asking;
}

function post(query: string, variables: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return fetch("/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query: document(query), variables }),
    signal,
  });
}

export async function gql<T>(query: string, variables: Record<string, unknown> = {}, signal?: AbortSignal): Promise<T> {
  let response = await post(query, variables, signal);
  if (response.status === 401 || response.status === 403) {
    if (response.status === 403 || (await askForToken())) {
      if (response.status === 401) response = await post(query, variables, signal);
    }
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      throw new GraphQLFailure("the server refused the token: reload the page to give another", "UNAUTHORIZED");
    }
  }
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

/** GET a REST route (the export), sending the tab's token when the person gave one. */
export async function getWithToken(url: string): Promise<Blob> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new GraphQLFailure(`the export failed: ${response.status} ${response.statusText}`);
  return response.blob();
}
