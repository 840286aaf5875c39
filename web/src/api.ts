// The one way the explorer talks to the server: GraphQL over POST /graphql.
import { ClientError, GraphQLClient } from "graphql-request";
import type { RequestOptions, Variables } from "graphql-request";
import type { TypedDocumentString } from "./generated/graphql";

export class GraphQLFailure extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
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

let client: GraphQLClient | undefined;

/** One client for the page; every request carries the tab's token when the person gave one. */
function graphql(): GraphQLClient {
  client ??= new GraphQLClient(new URL("/graphql", window.location.href).href, {
    headers: (): Record<string, string> => {
      const token = sessionStorage.getItem(TOKEN_KEY);
      return token ? { authorization: `Bearer ${token}` } : {};
    },
  });
  return client;
}

function refused(e: unknown): number | undefined {
  const status = e instanceof ClientError ? e.response.status : undefined;
  return status === 401 || status === 403 ? status : undefined;
}

/** A failed request as the page shows it: the server's first GraphQL error, else its status. */
function failure(e: unknown): unknown {
  if (!(e instanceof ClientError)) return e instanceof SyntaxError ? new GraphQLFailure("the server's answer is not GraphQL") : e;
  const first = e.response.errors?.[0];
  return first ? new GraphQLFailure(first.message, first.extensions?.code as string | undefined) : new GraphQLFailure(`the server answered ${e.response.status}`);
}

/** Run one generated operation (src/generated, from src/graphql/*.graphql) and return its data. */
export async function gql<T, V extends Record<string, unknown>>(document: TypedDocumentString<T, V>, variables?: V, signal?: AbortSignal): Promise<T> {
  // graphql-request's option types cannot follow a generic V; the document types the call.
  const options = { document, variables, signal } as unknown as RequestOptions<Variables, T>;
  const send = () => graphql().request<T>(options);
  try {
    try {
      return await send();
    } catch (e) {
      // Asked for a token only when there was none (401); a refused one (403) is not asked again.
      if (refused(e) === 401 && (await askForToken())) return await send();
      throw e;
    }
  } catch (e) {
    if (refused(e)) {
      sessionStorage.removeItem(TOKEN_KEY);
      throw new GraphQLFailure("the server refused the token: reload the page to give another", "UNAUTHORIZED");
    }
    throw failure(e);
  }
}

/** GET a REST route (the export), sending the tab's token when the person gave one. */
export async function getWithToken(url: string): Promise<Blob> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new GraphQLFailure(`the export failed: ${response.status} ${response.statusText}`);
  return response.blob();
}
