// The impact report as markdown, to paste into a pull request or a ticket.
import type { ImpactQuery } from "./generated/graphql";

type Report = ImpactQuery["impact"];

export function nodeName(node: { __typename: string; name?: string; path?: string; dataset?: { name: string } | null }): string {
  if (node.__typename === "Field") return `${node.dataset?.name ?? "?"}.${node.path ?? ""}`;
  return node.name ?? "?";
}

export function impactMarkdown(dataset: string, report: Report): string {
  const lines: string[] = [];
  const s = report.summary;
  lines.push(`## Impact of changing \`${dataset}\``, "");
  lines.push(`**${report.breaking ? "Breaking" : "Not breaking"}**: ${s.breaking} breaking, ${s.likely} likely, ${s.possible} possible.`);
  if (report.truncated) lines.push("", "_The node budget left out items: the list may be incomplete._");
  for (const change of report.changes) {
    lines.push("", `### ${change.change.description}`, "");
    if (change.note) lines.push(`_${change.note}_`, "");
    if (!change.items.length) {
      lines.push("Nothing downstream is affected.");
      continue;
    }
    lines.push("| severity | item | kind | distance | owners | why |", "| --- | --- | --- | --- | --- | --- |");
    for (const item of change.items) {
      const owners = item.owners.map((o) => o.name).join(", ") || "-";
      const why = item.reason.replace(/\|/g, "\\|");
      lines.push(`| ${item.severity} | \`${nodeName(item.node as never)}\` | ${item.category} | ${item.distance} | ${owners} | ${why} |`);
    }
  }
  if (report.owners.length) {
    lines.push("", "### Who to tell", "");
    for (const owner of report.owners) lines.push(`- ${owner.name} (${owner.severity})`);
  }
  return lines.join("\n") + "\n";
}
