// Type-ahead over GraphQL `search`: datasets (tables, models, endpoints, ...), jobs, columns.
import { useEffect, useId, useRef, useState } from "react";
import { gql } from "./api";
import { SearchDocument } from "./generated/graphql";
import type { SearchQuery } from "./generated/graphql";
import { entityHref } from "./route";

export type Hit = SearchQuery["search"]["nodes"][number];

export function hitLabel(hit: Hit): { name: string; detail: string } {
  switch (hit.__typename) {
    case "Dataset":
      return { name: hit.name, detail: `${(hit.dtype ?? "dataset").toLowerCase()} · ${hit.namespace}` };
    case "Job":
      return { name: hit.name, detail: `${hit.jtype.toLowerCase()} job · ${hit.namespace}` };
    case "Field":
      return { name: `${hit.dataset?.name}.${hit.path}`, detail: `column${hit.ftype ? ` · ${hit.ftype}` : ""}` };
    default:
      return { name: hit.id, detail: hit.kind };
  }
}

/** What a hit is, as the server says: TABLE, MODEL, ENDPOINT, ... for a dataset. */
export function hitKind(hit: Hit): string {
  if (hit.__typename === "Field") return "column";
  if (hit.__typename === "Job") return "job";
  if (hit.__typename === "Dataset") return (hit.dtype ?? "dataset").toLowerCase().replace(/_/g, " ");
  return hit.kind.toLowerCase();
}

export function Search({ onOpen, autoFocus }: { onOpen: (hit: Hit) => void; autoFocus?: boolean }) {
  const [text, setText] = useState("");
  const [hits, setHits] = useState<Hit[]>([]);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** The text the hits shown answer (so "No matches" never speaks of an older query). */
  const [answered, setAnswered] = useState("");
  const listId = useId();
  const timer = useRef<number | undefined>(undefined);

  useEffect(() => {
    window.clearTimeout(timer.current);
    const query = text.trim();
    if (!query) {
      setHits([]);
      setAnswered("");
      return;
    }
    const controller = new AbortController();
    timer.current = window.setTimeout(() => {
      gql(SearchDocument, { query, first: 12 }, controller.signal)
        .then((data) => {
          setHits(data.search.nodes.filter((n) => ["Dataset", "Job", "Field"].includes(n.__typename)));
          setActive(0);
          setAnswered(query);
          setOpen(true);
          setError(null);
        })
        .catch((e: Error) => {
          if (e.name !== "AbortError") setError(e.message);
        });
    }, 120);
    return () => {
      controller.abort();
      window.clearTimeout(timer.current);
    };
  }, [text]);

  function choose(hit: Hit) {
    setOpen(false);
    setText("");
    onOpen(hit);
  }

  return (
    <div className="search">
      <input
        type="search"
        placeholder="Search datasets, jobs, models, endpoints, columns"
        aria-label="Search the lineage graph"
        role="combobox"
        aria-expanded={open && hits.length > 0}
        aria-controls={listId}
        aria-activedescendant={open && hits[active] ? `${listId}-${active}` : undefined}
        autoFocus={autoFocus}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onFocus={() => setOpen(true)}
        onBlur={() => window.setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, hits.length - 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === "Enter" && hits[active]) {
            e.preventDefault();
            choose(hits[active]);
          } else if (e.key === "Escape") {
            setOpen(false);
          }
        }}
      />
      {error && <div className="error">{error}</div>}
      {open && hits.length > 0 && (
        <ul className="hits" role="listbox" id={listId}>
          {hits.map((hit, i) => {
            const { name, detail } = hitLabel(hit);
            return (
              <li
                key={hit.id}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? "active" : ""}
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(hit);
                }}
              >
                <span className={`kind kind-${hit.__typename.toLowerCase()}`} data-testid="hit-kind">{hitKind(hit)}</span>
                <span className="name">{name}</span>
                <span className="detail">{detail}</span>
                <HitPage hit={hit} />
              </li>
            );
          })}
        </ul>
      )}
      {open && hits.length === 0 && answered && answered === text.trim() && (
        <ul className="hits" role="status" data-testid="no-matches">
          <li className="none">No matches for “{answered}”</li>
        </ul>
      )}
    </div>
  );
}

/** A hit's own page (a column's: its dataset's), opened without drawing it in the graph. */
function HitPage({ hit }: { hit: Hit }) {
  const target = hit.__typename === "Field" ? hit.dataset && { kind: "DATASET", ...hit.dataset } : { ...hit, type: hit.__typename === "Dataset" ? hit.dtype : null };
  const href = target ? entityHref(target) : null;
  if (!href) return null;
  return (
    <a className="hit-page" href={href} onMouseDown={(e) => e.stopPropagation()} title="Open its page">
      page ▸
    </a>
  );
}
