// Type-ahead over GraphQL `search`: datasets (tables, models, endpoints, ...), jobs, columns.
import { useCombobox } from "downshift";
import type { UseComboboxState, UseComboboxStateChangeOptions } from "downshift";
import { useEffect, useRef, useState } from "react";
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

/** What picking a hit does to the combobox: the box empties; leaving it (blur) picks nothing. */
function searchReducer(state: UseComboboxState<Hit>, { type, changes }: UseComboboxStateChangeOptions<Hit>): Partial<UseComboboxState<Hit>> {
  switch (type) {
    case useCombobox.stateChangeTypes.ItemClick:
    case useCombobox.stateChangeTypes.InputKeyDownEnter:
      return { ...changes, inputValue: "" };
    case useCombobox.stateChangeTypes.InputBlur:
      return { ...changes, selectedItem: state.selectedItem, inputValue: state.inputValue };
    default:
      return changes;
  }
}

export function Search({ onOpen, autoFocus }: { onOpen: (hit: Hit) => void; autoFocus?: boolean }) {
  const [text, setText] = useState("");
  const [hits, setHits] = useState<Hit[]>([]);
  const [error, setError] = useState<string | null>(null);
  /** The text the hits shown answer (so "No matches" never speaks of an older query). */
  const [answered, setAnswered] = useState("");
  const timer = useRef<number | undefined>(undefined);
  // Downshift's combobox: arrows move through the hits (the first is active once they come),
  // Enter or a click opens one, Escape closes the list (and a second Escape clears the box).
  const { isOpen, highlightedIndex, getInputProps, getMenuProps, getItemProps } = useCombobox<Hit>({
    items: hits,
    inputValue: text,
    selectedItem: null,
    defaultHighlightedIndex: 0,
    itemToString: (hit) => (hit ? hitLabel(hit).name : ""),
    itemToKey: (hit) => hit?.id,
    onInputValueChange: ({ inputValue }) => setText(inputValue),
    onSelectedItemChange: ({ selectedItem }) => selectedItem && onOpen(selectedItem),
    stateReducer: searchReducer,
  });

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
          setAnswered(query);
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

  const listed = isOpen && hits.length > 0;
  return (
    <div className="search">
      <input
        {...getInputProps({
          type: "search",
          placeholder: "Search datasets, jobs, models, endpoints, columns",
          "aria-label": "Search the lineage graph",
          autoFocus,
        })}
      />
      {error && <div className="error">{error}</div>}
      <ul className="hits" {...getMenuProps({ "aria-label": "Matches" })} hidden={!listed}>
        {listed &&
          hits.map((hit, index) => {
            const { name, detail } = hitLabel(hit);
            return (
              <li key={hit.id} className={index === highlightedIndex ? "active" : ""} {...getItemProps({ item: hit, index })}>
                <span className={`kind kind-${hit.__typename.toLowerCase()}`} data-testid="hit-kind">
                  {hitKind(hit)}
                </span>
                <span className="name">{name}</span>
                <span className="detail">{detail}</span>
                <HitPage hit={hit} />
              </li>
            );
          })}
      </ul>
      {isOpen && hits.length === 0 && answered && answered === text.trim() && (
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
    // The click follows the link; it does not also open the hit in the graph.
    <a className="hit-page" href={href} onClick={(e) => e.stopPropagation()} title="Open its page">
      page ▸
    </a>
  );
}
