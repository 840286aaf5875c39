// Entity pages live in the URL's hash: #/dataset/<namespace>/<name>, #/job/..., #/model/...,
// #/endpoint/... (each part URI-encoded: namespaces hold "://" and names hold "/").
// The graph keeps the query string, so a page and the graph it came from share one URL.

export type EntityKind = "dataset" | "job" | "model" | "endpoint";

export interface EntityRoute {
  kind: EntityKind;
  namespace: string;
  name: string;
}

const KINDS: EntityKind[] = ["dataset", "job", "model", "endpoint"];

export function parseRoute(hash: string): EntityRoute | null {
  const match = /^#\/(\w+)\/([^/]+)\/(.+)$/.exec(hash);
  if (!match || !KINDS.includes(match[1] as EntityKind)) return null;
  try {
    return { kind: match[1] as EntityKind, namespace: decodeURIComponent(match[2]), name: decodeURIComponent(match[3]) };
  } catch {
    return null;
  }
}

export function formatRoute(route: EntityRoute): string {
  return `#/${route.kind}/${encodeURIComponent(route.namespace)}/${encodeURIComponent(route.name)}`;
}

/** The page a dataset of this type gets: models and endpoints have their own. */
export function datasetPageKind(type: string | null | undefined): EntityKind {
  if (type === "MODEL") return "model";
  if (type === "ENDPOINT") return "endpoint";
  return "dataset";
}

/** The page of a node as the graph and search know it (DATASET or JOB), else null. */
export function entityHref(node: { kind: string; namespace?: string; name?: string; type?: string | null }): string | null {
  if (!node.namespace || !node.name) return null;
  if (node.kind === "JOB") return formatRoute({ kind: "job", namespace: node.namespace, name: node.name });
  if (node.kind === "DATASET") return formatRoute({ kind: datasetPageKind(node.type), namespace: node.namespace, name: node.name });
  return null;
}
