// Any JSON value (facets, metrics) as a tree, collapsed until opened: react-json-view-lite,
// which also moves through it with the keyboard (arrows) and names it as a tree to a screen reader.
import { JsonView as Tree, defaultStyles } from "react-json-view-lite";
import "react-json-view-lite/dist/index.css";

const style = { ...defaultStyles, container: `${defaultStyles.container} json` };
const collapsed = () => false;

export function JsonView({ value }: { value: unknown }) {
  if (value === null || typeof value !== "object") return <div className="json-leaf">{JSON.stringify(value)}</div>;
  return <Tree data={value} style={style} shouldExpandNode={collapsed} clickToExpandNode />;
}
