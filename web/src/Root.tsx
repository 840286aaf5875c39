// Picks the screen from the URL: an entity page for a #/kind/namespace/name hash, else the graph.
import { useEffect, useState } from "react";
import { App } from "./App";
import { EntityPage } from "./EntityPage";
import { parseRoute } from "./route";

export function Root() {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    window.addEventListener("popstate", onChange);
    return () => {
      window.removeEventListener("hashchange", onChange);
      window.removeEventListener("popstate", onChange);
    };
  }, []);
  const route = parseRoute(hash);
  return route ? <EntityPage route={route} /> : <App />;
}
