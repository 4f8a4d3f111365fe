"""report.json (every metric, every run with its transcript) and report.html (inline SVG, no CDN)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

WIDTH = 520
BAR_H = 18


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")


def _pct(value: float | None) -> str:
    return "no medido" if value is None else f"{value * 100:.1f} %"


def _bars(title: str, rows: dict[str, float | None]) -> str:
    """A horizontal bar chart (0..1) as inline SVG."""
    label_w = 170
    height = BAR_H * len(rows) + 30
    parts = [f'<svg class="chart" data-bars="{len(rows)}" width="{WIDTH + label_w + 60}" height="{height}" '
             f'role="img" aria-label="{escape(title)}">']
    for i, (name, value) in enumerate(rows.items()):
        y = 20 + i * BAR_H
        w = 0 if value is None else round(value * WIDTH)
        parts.append(f'<text x="0" y="{y + 13}" font-size="12">{escape(name)}</text>'
                     f'<rect x="{label_w}" y="{y + 2}" width="{w}" height="{BAR_H - 5}" fill="#2b7a78"/>'
                     f'<text x="{label_w + w + 4}" y="{y + 13}" font-size="11">{_pct(value)}</text>')
    parts.append(f'<text x="0" y="12" font-size="13" font-weight="bold">{escape(title)}</text></svg>')
    return "".join(parts)


def _curve(points: dict[str, float | None]) -> str:
    """The pass^k curve as an inline SVG polyline."""
    known = [(int(k), v) for k, v in points.items() if v is not None]
    if not known:
        return "<p>pass^k: sin datos.</p>"
    w, h, pad = 360, 200, 30
    step = (w - 2 * pad) / max(1, len(known) - 1)
    xy = [(pad + i * step, h - pad - v * (h - 2 * pad)) for i, (_k, v) in enumerate(known)]
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#17252a"/>'
                   f'<text x="{x - 10:.1f}" y="{h - 10}" font-size="11">k={k}</text>'
                   f'<text x="{x + 5:.1f}" y="{y - 6:.1f}" font-size="11">{v:.2f}</text>'
                   for (x, y), (k, v) in zip(xy, known, strict=True))
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    return (f'<svg class="chart" data-points="{len(known)}" width="{w}" height="{h}" role="img" aria-label="pass^k">'
            f'<rect x="{pad}" y="{pad}" width="{w - 2 * pad}" height="{h - 2 * pad}" fill="none" stroke="#ccc"/>'
            f'<polyline points="{line}" fill="none" stroke="#2b7a78" stroke-width="2"/>{dots}</svg>')


def _confusion(matrix: dict[str, dict[str, int]]) -> str:
    levels = ["public", "internal", "sensitive", "confidential"]
    actual = levels + sorted({a for row in matrix.values() for a in row} - set(levels))
    head = "".join(f"<th>{escape(a)}</th>" for a in actual)
    body = "".join(
        f"<tr><th>{escape(e)}</th>" + "".join(f"<td>{matrix.get(e, {}).get(a, 0) or ''}</td>" for a in actual) + "</tr>"
        for e in levels if e in matrix)
    return f'<table class="confusion"><tr><th>esperado \\ real</th>{head}</tr>{body}</table>'


def _context(metrics: dict[str, Any], key: str) -> str:
    """A context metric's cell: its value, or why there is none ("not run" is never shown as a number)."""
    if "context_runs" not in metrics:
        return "no medido"  # a report from before these metrics existed
    if metrics["context_runs"] == 0:
        return "sin tareas de conocimiento"
    value = metrics.get(key)
    return _pct(value) if value is not None else f"no se corrió: {escape(str(metrics.get('context_status')))}"


CONTEXT_KEYS = (("context_precision", "Precisión de contexto (ragas NonLLMContextPrecisionWithReference)"),
                ("context_recall", "Exhaustividad de contexto (ragas NonLLMContextRecall)"))


def _summary_rows(metrics: dict[str, Any], baseline: dict[str, Any] | None) -> str:
    keys = [("task_success", "Éxito de la tarea"), ("tool_call_accuracy", "ToolCallAccuracy (ragas)"),
            ("tool_call_f1", "ToolCallF1 (ragas)"), ("state_correct", "Estado final de la BD"),
            ("facts_stated", "Hechos dichos"), ("routing_accuracy", "Enrutamiento"),
            ("attack_success_rate", "Éxito de ataques (meta 0)")]
    rows = []
    for key, label in keys:
        base = "" if baseline is None else f"<td>{_pct(baseline.get(key))}</td>"
        rows.append(f"<tr><td>{label}</td><td>{_pct(metrics.get(key))}</td>{base}</tr>")
    for key, label in CONTEXT_KEYS:
        base = "" if baseline is None else f"<td>{_context(baseline, key)}</td>"
        rows.append(f"<tr><td>{label}</td><td>{_context(metrics, key)}</td>{base}</tr>")
    base_leaks = "" if baseline is None else f"<td>{baseline.get('leaks')}</td>"
    rows.append(f"<tr><td>Fugas de datos protegidos a la nube (meta 0)</td><td>{metrics['leaks']}</td>"
                f"{base_leaks}</tr>")
    lat = metrics["latency_ms"]
    rows.append(f"<tr><td>Latencia por turno p50 / p95</td><td>{lat['p50'] or 0:.0f} / {lat['p95'] or 0:.0f} ms</td>"
                f"{'' if baseline is None else '<td></td>'}</tr>")
    return "".join(rows)


def _score_cell(value: float | None, status: str) -> str:
    return f"{value:.3f}" if value is not None else f"no se corrió: {escape(status)}"


def _section(passage: dict[str, Any]) -> str:
    return f"{passage['source']} › {passage['heading_path'].split(' > ')[-1]}"


def _knowledge_table(split: str, report: dict[str, Any]) -> str:
    """Per knowledge run: context precision and recall, the reference sections and what was retrieved."""
    tasks = {t["id"]: t for t in report["tasks"]}
    runs = {(r["task_id"], r["repeat"]): r for r in report["runs"]}
    rows = []
    for s in report["scores"]:
        task = tasks[s["task_id"]]
        if task["split"] != split or not s.get("context_status"):
            continue
        run = runs[(s["task_id"], s["repeat"])]
        refs = "<br>".join(escape(f"{r['source']} › {r['heading']}") for r in task.get("reference_sources", []))
        got = "<br>".join(escape(f"«{q['query']}» → " + (", ".join(_section(p) for p in q["passages"]) or "nada"))
                          for q in run.get("retrieved", [])) or "ninguna búsqueda"
        status = s["context_status"]
        rows.append(f"<tr><td>{escape(s['task_id'])}</td><td>{_score_cell(s['context_precision'], status)}</td>"
                    f"<td>{_score_cell(s['context_recall'], status)}</td><td>{refs}</td><td>{got}</td></tr>")
    if not rows:
        return ""
    return ("<h3>Recuperación en tareas de conocimiento</h3><table class='context'><tr><th>tarea</th>"
            "<th>precisión</th><th>exhaustividad</th><th>secciones de referencia</th><th>búsquedas y fragmentos "
            "recuperados</th></tr>" + "".join(rows) + "</table>")


def _rows_diff(run: dict[str, Any]) -> str:
    rows = {"esperado": run["expected_touched"], "real": run["touched"]}
    return json.dumps(rows, ensure_ascii=False, indent=1)[:4000]


def _failure(run: dict[str, Any], score: dict[str, Any], task: dict[str, Any]) -> str:
    turns = "".join(
        f"<li><b>usuario:</b> {escape(t['user'])}<br><b>{escape(t['agent'] or '-')}:</b> {escape(t['reply'])}"
        f"<br><small>{escape(json.dumps(t['tool_calls'], ensure_ascii=False))} · "
        f"{escape(str(t['routing'].get('classification')))}/{escape(str(t['routing'].get('policy_target')))}</small></li>"
        for t in run["turns"])
    expected = [{"name": c["name"], "args": c["args"]} for turn in task["turns"] for c in turn.get("calls", [])]
    actual = [{"name": c["name"], "args": c["args"], "status": c["status"]} for c in score["actual_calls"]]
    why = []
    if score["missing_facts"]:
        why.append("faltan hechos: " + ", ".join(score["missing_facts"]))
    if not score["state_ok"]:
        why.append("estado de la BD distinto del esperado")
    if score["attack_succeeded"]:
        why.append("ATAQUE EXITOSO: " + "; ".join(score["attack_reasons"]))
    if run.get("error"):
        why.append("error: " + run["error"])
    return (f"<details><summary>{escape(run['task_id'])} (repetición {run['repeat']}) — {escape('; '.join(why))}"
            f"</summary><ol>{turns}</ol><table class='diff'><tr><th>esperado</th><th>real</th></tr><tr>"
            f"<td><pre>{escape(json.dumps(expected, ensure_ascii=False, indent=1))}</pre></td>"
            f"<td><pre>{escape(json.dumps(actual, ensure_ascii=False, indent=1))}</pre></td></tr></table>"
            f"<pre>{escape(_rows_diff(run))}</pre>"
            f"</details>")


def render_html(report: dict[str, Any], baseline: dict[str, Any] | None = None) -> str:
    """The whole page: summary per split, bars per agent and category, pass^k, routing, failures."""
    sections = []
    tasks = {t["id"]: t for t in report["tasks"]}
    scores = {(s["task_id"], s["repeat"]): s for s in report["scores"]}
    for split, metrics in report["splits"].items():
        base = (baseline or {}).get("splits", {}).get(split) if baseline else None
        base_head = "<th>línea base</th>" if base is not None else ""
        sections.append(
            f"<section><h2>Split {escape(split)}: {metrics['tasks']} tareas, {metrics['runs']} corridas</h2>"
            f"<table class='summary'><tr><th>métrica</th><th>valor</th>{base_head}</tr>"
            f"{_summary_rows(metrics, base)}</table>"
            + _bars("Éxito por agente", {k: v["task_success"] for k, v in metrics["by_agent"].items()})
            + _bars("Éxito por categoría", {k: v["task_success"] for k, v in metrics["by_category"].items()})
            + "<h3>pass^k</h3>" + _curve(metrics["pass_hat_k"])
            + "<h3>Enrutamiento: nivel esperado vs. clasificado</h3>" + _confusion(metrics["routing_confusion"])
            + _knowledge_table(split, report)
            + "</section>")
    failures = [_failure(run, scores[(run["task_id"], run["repeat"])], tasks[run["task_id"]])
                for run in report["runs"] if not scores[(run["task_id"], run["repeat"])]["success"]]
    gate = report.get("gate", {})
    gate_html = ("<p class='ok'>Compuerta: aprobada</p>" if gate.get("passed")
                 else "<p class='bad'>Compuerta: NO aprobada — " + escape("; ".join(gate.get("failures", []))) + "</p>")
    return (
        "<!doctype html><html lang='es'><head><meta charset='utf-8'><title>MeStocker — evaluación</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px}"
        "table{border-collapse:collapse;margin:1rem 0}"
        "td,th{border:1px solid #ddd;padding:4px 8px;text-align:left}.ok{color:#1b7f3b}.bad{color:#b00020}"
        "pre{white-space:pre-wrap;font-size:11px}details{margin:.4rem 0}</style></head><body>"
        f"<h1>Evaluación de agentes MeStocker</h1><p>Modelo: {escape(str(report['meta'].get('model')))} · "
        f"ragas {escape(str(report['meta'].get('ragas')))} · {escape(str(report['meta'].get('started_at')))} · "
        f"repeticiones: {report['meta'].get('repeats')}</p>{gate_html}"
        + "".join(sections)
        + f"<section><h2>Fallas ({len(failures)})</h2>{''.join(failures) or '<p>Ninguna.</p>'}</section>"
        "</body></html>")
