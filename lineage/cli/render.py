"""How answers are shown: consoles, JSON, lineage trees and Graphviz digraphs, and impact
and triage reports as text or markdown (pull-request comments)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape

from lineage.store.base import Direction

err = Console(stderr=True, soft_wrap=True)
# Piped output is read by programs and people's pagers: never cut at a terminal's width.
out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 100_000)


@contextmanager
def exits_on(*errors: type[Exception]) -> Iterator[None]:
    """Ends the command with exit code 1, the error's message on stderr, when one of
    ``errors`` (a store that cannot be opened or answer: ``StoreError``) is raised inside."""
    try:
        yield
    except errors as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc


class Output(StrEnum):
    TEXT = "text"
    JSON = "json"
    DOT = "dot"


class ReportFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# -- lineage: a tree from the start, or a Graphviz digraph ----------------------------------


def _label(node: dict[str, Any]) -> str:
    kind = node.get("kind")
    if kind == "FIELD":
        dataset = node.get("dataset") or {}
        return (
            f"[bold]{escape(str(dataset.get('name')))}[/].{escape(str(node.get('path')))} "
            f"[dim]{escape(str(dataset.get('namespace')))}[/]"
        )
    name, namespace = escape(str(node.get("name"))), escape(str(node.get("namespace")))
    if kind == "JOB":
        kind_of_job = node.get("jobType")
        suffix = f" ({escape(kind_of_job)})" if kind_of_job and kind_of_job != "ETL" else ""
        return f"[cyan]job[/] {name}{suffix} [dim]{namespace}[/]"
    kind_of_data = f" ({escape(node['datasetType'])})" if node.get("datasetType") else ""
    return f"[bold]{name}[/]{kind_of_data} [dim]{namespace}[/]"


def print_lineage(answer: dict[str, Any], direction: Direction, output: Output) -> None:
    """A lineage answer as JSON, a Graphviz digraph, or a tree walked in ``direction``."""
    if output is Output.JSON:
        print_json(answer)
    elif output is Output.DOT:
        _print_dot(answer)
    else:
        _print_tree(answer, direction)


def _print_tree(answer: dict[str, Any], direction: Direction) -> None:
    """The answer as a tree from the start: what feeds it (upstream) or what it feeds."""
    from rich.tree import Tree

    nodes = {n["id"]: n for n in answer["nodes"]}
    nexts: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for edge in answer["edges"]:
        source, target = edge["source"]["id"], edge["target"]["id"]
        if direction is Direction.UPSTREAM:
            nexts.setdefault(target, []).append((source, edge))
        else:
            nexts.setdefault(source, []).append((target, edge))
    shown: set[str] = set()

    def grow(branch: Tree, nid: str) -> None:
        shown.add(nid)
        for other, edge in sorted(nexts.get(nid, []), key=lambda pair: _label(nodes[pair[0]])):
            text = _label(nodes[other])
            how = edge.get("transformation")
            if how:
                parts = [p for p in (how.get("type"), how.get("subtype")) if p]
                text += f" [yellow]{escape('/'.join(parts))}[/]"
            if other in shown:
                branch.add(text + " [dim](see above)[/]")
            else:
                grow(branch.add(text), other)

    for start in answer["start"]:
        tree = Tree(_label(nodes[start["id"]]))
        grow(tree, start["id"])
        out.print(tree)
    way = "upstream" if direction is Direction.UPSTREAM else "downstream"
    out.print(f"{len(nodes)} nodes, {len(answer['edges'])} edges {way}")
    if answer["truncated"]:
        err.print(
            "[yellow]warning:[/] the answer stopped at the node budget (LINEAGE_NODE_BUDGET); "
            "ask for less --depth to see all of it"
        )


def _print_dot(answer: dict[str, Any]) -> None:
    """The answer as a Graphviz digraph, data flowing left to right."""

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph lineage {", "  rankdir=LR;"]
    shapes = {"DATASET": "box", "JOB": "ellipse", "FIELD": "note"}
    for node in answer["nodes"]:
        shape = shapes.get(node["kind"], "box")
        lines.append(f"  {quote(node['id'])} [label={quote(_plain_label(node))}, shape={shape}];")
    for edge in answer["edges"]:
        how = edge.get("transformation") or {}
        style = ", style=dashed" if how.get("type") == "INDIRECT" else ""
        lines.append(
            f"  {quote(edge['source']['id'])} -> {quote(edge['target']['id'])}"
            f" [label={quote(edge['kind'])}{style}];"
        )
    lines.append("}")
    sys.stdout.write("\n".join(lines) + "\n")


def _plain_label(node: dict[str, Any]) -> str:
    if node["kind"] == "FIELD":
        return f"{node['dataset']['name']}.{node['path']}"
    return str(node.get("name") or node["id"])


# -- impact reports ---------------------------------------------------------------------------


class Verdict(StrEnum):
    """What impact reports say as a whole."""

    BREAKING = "BREAKING"
    #: Nothing is known to break, but some reader's use of the changed columns is unknown.
    UNCERTAIN = "UNCERTAIN"
    NOTHING_BREAKS = "NOTHING_BREAKS"


def verdict(reports: list[dict[str, Any]]) -> Verdict:
    """BREAKING when something breaks; else UNCERTAIN when some item is only POSSIBLE."""
    if any(r["breaking"] for r in reports):
        return Verdict.BREAKING
    if any(r["summary"]["possible"] for r in reports):
        return Verdict.UNCERTAIN
    return Verdict.NOTHING_BREAKS


def _verdict_words(reports: list[dict[str, Any]], *, markdown: bool) -> str:
    found = verdict(reports)
    if found is Verdict.BREAKING:
        return "**BREAKING**" if markdown else "[red]BREAKING[/]"
    if found is Verdict.UNCERTAIN:
        words = "nothing known to break, but some readers' use of the columns is unknown"
        return f"**uncertain**: {words}" if markdown else f"[cyan]uncertain[/]: {words}"
    return "nothing breaks" if markdown else "[green]nothing breaks[/]"


def _impact_label(node: dict[str, Any]) -> str:
    if node.get("kind") == "FIELD":
        return f"{(node.get('dataset') or {}).get('name')}.{node.get('path')}"
    return str(node.get("name"))


def _impact_kind(item: dict[str, Any]) -> str:
    return str(item["category"]).lower()


def print_impact(
    reports: list[dict[str, Any]], output: ReportFormat, empty: str = "nothing to check"
) -> None:
    if output is ReportFormat.JSON:
        print_json(reports[0] if len(reports) == 1 else reports)
    elif output is ReportFormat.MARKDOWN:
        sys.stdout.write(_impact_markdown(reports, empty))
    else:
        _impact_text(reports, empty)


def _counts(summary: dict[str, Any]) -> str:
    return (
        f"{summary['breaking']} breaking, {summary['likely']} likely, "
        f"{summary['possible']} possible"
    )


def _reached(summary: dict[str, Any]) -> str:
    parts = [
        f"{summary[key]} {label if summary[key] == 1 else label + 's'}"
        for key, label in (
            ("fields", "column"),
            ("datasets", "dataset"),
            ("models", "model"),
            ("endpoints", "endpoint"),
            ("jobs", "job"),
            ("deployments", "deployment"),
        )
        if summary[key]
    ]
    return ", ".join(parts) or "nothing"


_SEVERITY_STYLE = {"BREAKING": "red", "LIKELY": "yellow", "POSSIBLE": "cyan"}


def _impact_text(reports: list[dict[str, Any]], empty: str) -> None:
    if not reports:
        out.print(empty)
    for report in reports:
        dataset = report["dataset"]
        words = _verdict_words([report], markdown=False)
        out.print(
            f"[bold]{escape(dataset['name'])}[/] [dim]{escape(dataset['namespace'])}[/]: "
            f"{words} ({_counts(report['summary'])}; reaches {_reached(report['summary'])})"
        )
        for change in report["changes"]:
            out.print(f"  [bold]{escape(change['change']['description'])}[/]")
            if change.get("note"):
                out.print(f"    [dim]{escape(change['note'])}[/]")
            distance = None
            for item in change["items"]:
                if item["distance"] != distance:
                    distance = item["distance"]
                    out.print(f"    distance {distance}")
                style = _SEVERITY_STYLE.get(item["severity"], "white")
                owners = ", ".join(o["name"] for o in item["owners"])
                suffix = f" [dim](owners: {escape(owners)})[/]" if owners else ""
                out.print(
                    f"      [{style}]{item['severity']:<8}[/] {_impact_kind(item)} "
                    f"[bold]{escape(_impact_label(item['node']))}[/]{suffix}: "
                    f"{escape(item['reason'])}"
                )
        if report["owners"]:
            notify = ", ".join(f"{o['name']} ({o['severity']})" for o in report["owners"])
            out.print(f"  owners to notify: {escape(notify)}")
        if report["truncated"]:
            err.print(
                "[yellow]warning:[/] the report stopped at the node budget "
                "(LINEAGE_NODE_BUDGET); more may be affected"
            )


def _impact_markdown(reports: list[dict[str, Any]], empty: str) -> str:
    """A pull-request comment: a summary line, a table of what breaks with its owners, and
    every item by change and distance in a collapsible section."""
    if not reports:
        return f"**lineage impact**: {empty}.\n"
    totals = {"breaking": 0, "likely": 0, "possible": 0}
    for report in reports:
        for key in totals:
            totals[key] += report["summary"][key]
    names = ", ".join(f"`{r['dataset']['name']}`" for r in reports)
    words = _verdict_words(reports, markdown=True)
    lines = [
        f"**lineage impact** of changes to {names}: {words} ({_counts(totals)})",
        "",
    ]
    blind = sorted(
        {
            _impact_label(item["node"])
            for r in reports
            for c in r["changes"]
            for item in c["items"]
            if item["severity"] == "POSSIBLE"
            and item["node"].get("kind") == "JOB"
            and item["distance"] == 1
        }
    )
    if blind:
        lines += [
            f"Completeness: the column use of {len(blind)} reader job(s) is unknown or known "
            "only in part, so they may break: " + ", ".join(f"`{_cell(b)}`" for b in blind),
            "",
        ]
    else:
        lines += ["Completeness: every reader's use of the changed columns is known.", ""]
    rows = [
        (report, change, item)
        for report in reports
        for change in report["changes"]
        for item in change["items"]
        if item["severity"] == "BREAKING"
    ]
    if rows:
        lines += [
            "| change | breaks | kind | distance | owners |",
            "| --- | --- | --- | --- | --- |",
        ]
        for report, change, item in rows:
            owners = ", ".join(o["name"] for o in item["owners"]) or "—"
            what = f"`{report['dataset']['name']}`: {change['change']['description']}"
            lines.append(
                f"| {_cell(what)} | `{_cell(_impact_label(item['node']))}` | "
                f"{_impact_kind(item)} | {item['distance']} | {_cell(owners)} |"
            )
        lines.append("")
    notify = sorted(
        {(o["name"], o["severity"]) for r in reports for o in r["owners"]},
        key=lambda o: (["BREAKING", "LIKELY", "POSSIBLE"].index(o[1]), o[0]),
    )
    if notify:
        lines += ["Owners to notify: " + ", ".join(f"{n} ({s})" for n, s in notify), ""]
    if any(r["truncated"] for r in reports):
        lines += ["The report stopped at the node budget: more may be affected.", ""]
    count = sum(len(c["items"]) for r in reports for c in r["changes"])
    lines += [
        "<details>",
        f"<summary>All {count} affected items, by change and distance</summary>",
        "",
    ]
    for report in reports:
        for change in report["changes"]:
            title = f"`{report['dataset']['name']}`: {change['change']['description']}"
            lines.append(f"#### {title}")
            if change.get("note"):
                lines.append(f"_{change['note']}_")
            if not change["items"]:
                lines.append("")
                continue
            distance = None
            for item in change["items"]:
                if item["distance"] != distance:
                    distance = item["distance"]
                    lines.append(f"- distance {distance}")
                owners = ", ".join(o["name"] for o in item["owners"])
                owned = f" (owners: {owners})" if owners else ""
                lines.append(
                    f"  - **{item['severity']}** {_impact_kind(item)} "
                    f"`{_impact_label(item['node'])}`{owned}: {item['reason']}"
                )
            lines.append("")
    lines += ["</details>", ""]
    return "\n".join(lines)


# -- incidents and triage ---------------------------------------------------------------------


def node_label(node: dict[str, Any] | None) -> str:
    """``name``, ``name.field``, ``name@version`` or ``job run <id>``: short and unambiguous."""
    if not node:
        return "?"
    if node.get("kind") == "DATASET_VERSION":
        return f"{(node.get('dataset') or {}).get('name')}@{node.get('version')}"
    if node.get("kind") == "RUN":
        return f"{(node.get('job') or {}).get('name')} run {str(node.get('runId'))[:8]}"
    if node.get("kind") == "FIELD":
        return f"{(node.get('dataset') or {}).get('name')}.{node.get('path')}"
    return str(node.get("name") or node.get("id"))


def print_triage(report: dict[str, Any], output: ReportFormat) -> None:
    if output is ReportFormat.JSON:
        print_json(report)
    elif output is ReportFormat.MARKDOWN:
        sys.stdout.write(_triage_markdown(report))
    else:
        _triage_text(report)


def _triage_text(report: dict[str, Any]) -> None:
    incident = report.get("incident")
    head = f"{incident['incidentKind']} on " if incident else ""
    print(f"Triage of {head}{node_label(report['subject'])} ({report['scope']})")
    if incident:
        print(f"  {incident['title']} [{incident['status']}, opened {incident['openedAt']}]")
    if not report["suspects"]:
        print("No suspects: nothing upstream shows evidence in the window.")
    for rank, suspect in enumerate(report["suspects"][:10], 1):
        print(f"{rank}. {node_label(suspect['node'])}  score {suspect['score']:.3f}")
        for e in suspect["evidence"]:
            print(f"     {e['kind']}: {e['detail']}")
        print("     path: " + " <- ".join(node_label(n) for n in suspect["path"]))
        print(f"     why: {suspect['why']}")
    print("Raw sources: " + (", ".join(node_label(n) for n in report["rawSources"]) or "none"))
    print("Blast radius: " + (", ".join(node_label(n) for n in report["blastRadius"]) or "none"))
    if report["truncated"]:
        print("(truncated: the walk hit the node budget; raise it or lower --depth)")


def _triage_markdown(report: dict[str, Any]) -> str:
    incident = report.get("incident")
    title = f"{incident['incidentKind']}: {incident['title']}" if incident else "Triage"
    lines = [
        f"### {_cell(title)}",
        "",
        f"Subject `{node_label(report['subject'])}`, {report['scope']}.",
        "",
    ]
    if report["suspects"]:
        lines += ["| # | suspect | score | evidence |", "| - | - | - | - |"]
        for rank, s in enumerate(report["suspects"][:10], 1):
            evidence = "<br>".join(_cell(f"{e['kind']}: {e['detail']}") for e in s["evidence"])
            lines.append(f"| {rank} | `{node_label(s['node'])}` | {s['score']:.3f} | {evidence} |")
        top = report["suspects"][0]
        lines += [
            "",
            "Path to the top suspect: " + " ← ".join(f"`{node_label(n)}`" for n in top["path"]),
        ]
    else:
        lines.append("No suspects: nothing upstream shows evidence in the window.")
    lines += [
        "",
        "<details><summary>Raw sources and blast radius</summary>",
        "",
        "Raw sources: " + (", ".join(f"`{node_label(n)}`" for n in report["rawSources"]) or "none"),
        "",
        "Blast radius: "
        + (", ".join(f"`{node_label(n)}`" for n in report["blastRadius"]) or "none"),
        "",
        "</details>",
        "",
    ]
    return "\n".join(lines)
