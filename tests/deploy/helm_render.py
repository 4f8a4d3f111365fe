"""A small renderer for the subset of Helm's Go templates that infra/deploy/helm/mestocker uses.

There is no `helm` binary here (Debian does not package it, and nothing may be downloaded outside
the package registries), and no maintained PyPI package renders Helm charts without it. So the
chart is written in a deliberately small subset of the template language, and this module renders
it, failing loudly on anything outside the subset — a template that uses more fails its test
instead of rendering wrongly. `helm template` gives the same output for this subset (that is the
point of keeping to it; docs/deploy.md tells how to check with a real helm).

The subset:
  actions     {{ expr }}, whitespace trimming with {{- and -}}, {{/* comments */}}
  control     {{ if cond }} … {{ else if cond }} … {{ else }} … {{ end }}, {{ define "name" }} … {{ end }},
              {{ range .Values.list }} … {{ end }} (`.` is the item; `$` stays the root)
  values      .Values.a.b, .Release.Name / .Release.Namespace, .Chart.Name / .Version / .AppVersion,
              $ (the root), "strings", integers, true / false
  functions   include "name" ctx, toYaml, toJson, quote, default X, nindent N, indent N, not, and, or,
              eq a b, ne a b, required "message" value, printf "%s-%s" a b, trunc N, trimSuffix "x"
              — used as `f a b` or at the end of a pipeline (`x | f a` means `f a x`)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_ACTION = re.compile(r"{{(-?)\s*(.*?)\s*(-?)}}", re.DOTALL)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\(|\)|\||[^\s()|]+')


class TemplateError(ValueError):
    """A template outside the supported subset, or one that fails to render."""


@dataclass
class Node:
    kind: str  # text | expr | if | range | define
    text: str = ""
    expr: str = ""
    body: list[Node] = field(default_factory=list)
    branches: list[tuple[str | None, list[Node]]] = field(default_factory=list)


def _lex(source: str) -> list[tuple[str, str]]:
    """("text", s) and ("action", inner) pieces, whitespace trimmed as {{- and -}} ask."""
    pieces: list[tuple[str, str]] = []
    position = 0
    trim_next = False
    for match in _ACTION.finditer(source):
        text = source[position:match.start()]
        if trim_next:
            text = text.lstrip()
        if match.group(1):
            text = text.rstrip()
        pieces.append(("text", text))
        inner = match.group(2)
        if not (inner.startswith("/*") and inner.endswith("*/")):
            pieces.append(("action", inner))
        trim_next = bool(match.group(3))
        position = match.end()
    tail = source[position:]
    pieces.append(("text", tail.lstrip() if trim_next else tail))
    return pieces


def _parse(pieces: list[tuple[str, str]]) -> tuple[list[Node], dict[str, list[Node]]]:
    defines: dict[str, list[Node]] = {}
    stream = iter(pieces)

    def block(terminators: tuple[str, ...]) -> tuple[list[Node], str]:
        nodes: list[Node] = []
        for kind, value in stream:
            if kind == "text":
                if value:
                    nodes.append(Node("text", text=value))
                continue
            word = value.split(None, 1)[0]
            rest = value[len(word):].strip()
            if word in terminators or (word == "else" and "else" in terminators):
                return nodes, value
            if word == "if":
                branches: list[tuple[str | None, list[Node]]] = []
                condition: str | None = rest
                while True:
                    body, ended = block(("else", "end"))
                    branches.append((condition, body))
                    if ended == "end":
                        break
                    after = ended[4:].strip()
                    condition = after[3:].strip() if after.startswith("if ") else None
                nodes.append(Node("if", branches=branches))
            elif word == "range":
                body, _ = block(("end",))
                nodes.append(Node("range", expr=rest, body=body))
            elif word == "define":
                body, _ = block(("end",))
                defines[json.loads(rest)] = body
            elif word in ("with", "template", "block", "tpl"):
                raise TemplateError(f"{{{{ {word} }}}} is outside the supported subset")
            else:
                nodes.append(Node("expr", expr=value))
        if terminators:
            raise TemplateError(f"missing {{{{ end }}}} (expected one of {terminators})")
        return nodes, ""

    nodes, _ = block(())
    return nodes, defines


def _truthy(value: Any) -> bool:
    return bool(value) if value is not None else False


def to_yaml(value: Any) -> str:
    if value is None or value == {} or value == []:
        return "{}" if isinstance(value, dict) else ("[]" if isinstance(value, list) else "")
    return yaml.safe_dump(value, default_flow_style=False, sort_keys=True, allow_unicode=True).rstrip("\n")


def _quote(value: Any) -> str:
    return json.dumps("" if value is None else (value if isinstance(value, str) else _stringify(value)))


def _stringify(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        raise TemplateError(f"a {type(value).__name__} printed as text (use toYaml): {value!r}")
    return str(value)


def _printf(fmt: str, *args: Any) -> str:
    return re.sub(r"%[sdv]", lambda _m: "{}", fmt).format(*(_stringify(a) for a in args))


class Renderer:
    """Render one chart: its templates/ directory (with _helpers.tpl) over merged values."""

    def __init__(self, chart_dir: Path) -> None:
        self.chart_dir = chart_dir
        self.chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text(encoding="utf-8"))
        self.templates: dict[str, list[Node]] = {}
        self.defines: dict[str, list[Node]] = {}
        for path in sorted((chart_dir / "templates").iterdir()):
            if path.suffix not in (".yaml", ".tpl", ".yml"):
                continue
            nodes, defines = _parse(_lex(path.read_text(encoding="utf-8")))
            self.defines.update(defines)
            if not path.name.startswith("_"):
                self.templates[path.name] = nodes
        self.functions: dict[str, Callable[..., Any]] = {
            "toYaml": to_yaml, "toJson": lambda v: json.dumps(v, sort_keys=True), "quote": _quote,
            "default": lambda fallback, value=None: value if _truthy(value) else fallback,
            "nindent": lambda n, s: "\n" + self._indent(int(n), s), "indent": lambda n, s: self._indent(int(n), s),
            "not": lambda v: not _truthy(v), "and": lambda *vs: all(_truthy(v) for v in vs),
            "or": lambda *vs: next((v for v in vs if _truthy(v)), vs[-1]),
            "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "printf": _printf,
            "required": self._required, "trunc": lambda n, s: s[: int(n)],
            "trimSuffix": lambda suffix, s: s[: -len(suffix)] if suffix and s.endswith(suffix) else s,
        }

    @staticmethod
    def _indent(n: int, text: Any) -> str:
        return "\n".join((" " * n + line) if line else line for line in _stringify(text).split("\n"))

    @staticmethod
    def _required(message: str, value: Any = None) -> Any:
        if not _truthy(value) and value != 0:
            raise TemplateError(f"required value missing: {message}")
        return value

    def render(self, values: dict[str, Any], *, release: str = "mestocker", namespace: str = "mestocker"
               ) -> dict[str, str]:
        root = {
            "Values": values,
            "Release": {"Name": release, "Namespace": namespace, "Service": "Helm"},
            "Chart": {"Name": self.chart["name"], "Version": self.chart["version"],
                      "AppVersion": self.chart.get("appVersion", "")},
        }
        return {name: self._nodes(nodes, root, root) for name, nodes in self.templates.items()}

    # ---- evaluation ---------------------------------------------------------------------------

    def _nodes(self, nodes: list[Node], dot: Any, root: dict[str, Any]) -> str:
        out: list[str] = []
        for node in nodes:
            if node.kind == "text":
                out.append(node.text)
            elif node.kind == "expr":
                out.append(_stringify(self._pipeline(node.expr, dot, root)))
            elif node.kind == "if":
                for condition, body in node.branches:
                    if condition is None or _truthy(self._pipeline(condition, dot, root)):
                        out.append(self._nodes(body, dot, root))
                        break
            elif node.kind == "range":
                items = self._pipeline(node.expr, dot, root) or []
                if not isinstance(items, list):
                    raise TemplateError(f"range over a {type(items).__name__} (only lists): {node.expr}")
                out.extend(self._nodes(node.body, item, root) for item in items)
        return "".join(out)

    def _pipeline(self, expr: str, dot: Any, root: dict[str, Any]) -> Any:
        tokens = _TOKEN.findall(expr)
        if any(t.startswith("$") and t not in ("$",) and not t.startswith("$.") for t in tokens):
            raise TemplateError(f"template variables are outside the supported subset: {expr}")
        value, position = self._command(tokens, 0, dot, root, piped=None, has_pipe=False)
        while position < len(tokens):
            if tokens[position] != "|":
                raise TemplateError(f"unexpected {tokens[position]!r} in {expr!r}")
            value, position = self._command(tokens, position + 1, dot, root, piped=value, has_pipe=True)
        return value

    def _command(self, tokens: list[str], position: int, dot: Any, root: dict[str, Any], *, piped: Any,
                 has_pipe: bool) -> tuple[Any, int]:
        args: list[Any] = []
        head = tokens[position]
        function = self.functions.get(head) if head not in ("include",) else None
        if head == "include" or function is not None:
            position += 1
            while position < len(tokens) and tokens[position] not in ("|", ")"):
                value, position = self._operand(tokens, position, dot, root)
                args.append(value)
            if has_pipe:
                args.append(piped)
            if head == "include":
                name, context = args
                if name not in self.defines:
                    raise TemplateError(f"include of an undefined template {name!r}")
                return self._nodes(self.defines[name], context, root), position
            try:
                return function(*args), position  # type: ignore[misc]
            except TypeError as exc:
                raise TemplateError(f"{head}: wrong arguments {args!r}") from exc
        if has_pipe:
            raise TemplateError(f"{head!r} is not a supported function")
        return self._operand(tokens, position, dot, root)

    def _operand(self, tokens: list[str], position: int, dot: Any, root: dict[str, Any]) -> tuple[Any, int]:
        token = tokens[position]
        if token == "(":
            depth, end = 1, position + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(tokens[end], 0)
                end += 1
            return self._pipeline(" ".join(tokens[position + 1:end - 1]), dot, root), end
        if token.startswith('"'):
            return json.loads(token), position + 1
        if re.fullmatch(r"-?\d+", token):
            return int(token), position + 1
        if token in ("true", "false"):
            return token == "true", position + 1
        if token in ("nil",):
            return None, position + 1
        if token == ".":
            return dot, position + 1
        if token == "$":
            return root, position + 1
        if token.startswith("$."):
            return self._lookup(root, token[2:]), position + 1
        if token.startswith("."):
            return self._lookup(dot, token[1:]), position + 1
        raise TemplateError(f"unsupported operand {token!r}")

    @staticmethod
    def _lookup(value: Any, path: str) -> Any:
        for part in path.split("."):
            if value is None:
                return None
            if not isinstance(value, dict):
                raise TemplateError(f"{path}: {part} of a {type(value).__name__}")
            value = value.get(part)
        return value


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's values merge: maps merge key by key, anything else in `override` replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_chart(chart_dir: Path, *value_files: Path, release: str = "mestocker", namespace: str = "mestocker"
                 ) -> list[dict[str, Any]]:
    """Every manifest of the chart with values.yaml then `value_files` merged, as `helm template` would."""
    values: dict[str, Any] = yaml.safe_load((chart_dir / "values.yaml").read_text(encoding="utf-8")) or {}
    for path in value_files:
        values = deep_merge(values, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    manifests: list[dict[str, Any]] = []
    for name, text in Renderer(chart_dir).render(values, release=release, namespace=namespace).items():
        for document in yaml.safe_load_all(text):
            if document:
                document.setdefault("metadata", {})
                manifests.append(document)
                if not isinstance(document, dict) or "kind" not in document:
                    raise TemplateError(f"{name}: a document without a kind")
    return manifests
