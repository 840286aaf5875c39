// A collapsible view of any JSON value (facets).
export function JsonView({ value, name, open = false }: { value: unknown; name?: string; open?: boolean }) {
  if (value === null || typeof value !== "object") {
    return (
      <div className="json-leaf">
        {name !== undefined && <span className="json-key">{name}: </span>}
        <span className={`json-${value === null ? "null" : typeof value}`}>{JSON.stringify(value)}</span>
      </div>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  return (
    <details className="json" open={open}>
      <summary>
        {name !== undefined && <span className="json-key">{name}</span>}
        <span className="json-count">{Array.isArray(value) ? ` [${entries.length}]` : ` {${entries.length}}`}</span>
      </summary>
      {entries.map(([k, v]) => (
        <JsonView key={k} name={k} value={v} />
      ))}
    </details>
  );
}
