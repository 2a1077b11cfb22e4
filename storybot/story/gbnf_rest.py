"""The grammar of the rest of an answer: what may follow a prefix a GBNF grammar has begun.

A writer paused mid-story is resumed by a second request whose assistant message is prefilled
with the text written so far; that request needs a grammar that accepts exactly the strings `s`
for which `prefix + s` is in the original grammar. This module takes the Brzozowski derivative
of the grammar by the prefix, one code point at a time (llama.cpp matches code points), and
prints the derived tree back as GBNF: a new `root` plus every original rule it still uses.

Rule references are expanded only when a derivative passes through them, and bounded
repetitions stay symbolic (`x{0,199}` becomes `x{0,198}`), so the derived tree stays about as
small as the grammar's own rules and a prefix of thousands of characters takes milliseconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from storybot.story.gbnf import GrammarSyntaxError, Node, parse_rules

# Derived trees are hashable tuples, built only through the constructors below, which simplify:
#   EPS | FAIL | ("lit", text) | ("class", ranges, negated) | ("ref", name)
#   ("seq", (nodes...)) | ("alt", (nodes...)) | ("rep", node, min, max or None)
EPS: Node = ("eps",)
FAIL: Node = ("fail",)
START = "root"  # llama.cpp starts from the rule called root
_RECURSION = 20_000  # schema converters nest `x{0,200}` as 200 groups


def remainder_grammar(grammar: str, prefix: str, root: str = "root") -> str:
    """GBNF accepting exactly the continuations of `prefix` under `grammar`.

    Raises GrammarSyntaxError if the grammar cannot be read, ValueError if `prefix` is not a
    prefix of any string the grammar accepts."""
    with _deep_recursion():
        rules = _Rules(grammar, root)
        rest = rules.derive(rules.bodies[root], prefix)
        if rest is FAIL:
            raise ValueError(f"no string of the grammar starts with {prefix[-40:]!r}")
        return _Printer(rules.bodies).grammar(rest)


def accepts(grammar: str, text: str, root: str = "root") -> bool:
    """Whether `grammar` accepts the whole of `text`."""
    with _deep_recursion():
        rules = _Rules(grammar, root)
        return rules.nullable(rules.derive(rules.bodies[root], text))


@contextmanager
def _deep_recursion() -> Iterator[None]:
    """Raise the recursion limit for deeply nested grammars; a RecursionError is their fault."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION))
    try:
        yield
    except RecursionError:
        raise GrammarSyntaxError("the grammar nests too deeply to derive") from None
    finally:
        sys.setrecursionlimit(limit)


# Simplifying constructors: no EPS inside a sequence, no FAIL anywhere but alone, no nested
# sequences or alternatives, no repeated alternatives, no trivial repetitions.


def _lit(text: str) -> Node:
    return ("lit", text) if text else EPS


def _seq(items: Iterable[Node]) -> Node:
    flat: list[Node] = []
    for item in items:
        if item is FAIL:
            return FAIL
        if item[0] == "seq":
            flat.extend(item[1])
        elif item is not EPS:
            flat.append(item)
    if not flat:
        return EPS
    return flat[0] if len(flat) == 1 else ("seq", tuple(flat))


def _alt(options: Iterable[Node]) -> Node:
    seen: dict[Node, None] = {}  # ordered set: the first of equal alternatives is kept
    for option in options:
        for one in option[1] if option[0] == "alt" else (option,):
            if one is not FAIL:
                seen.setdefault(one, None)
    if not seen:
        return FAIL
    if len(seen) == 1:
        return next(iter(seen))
    return ("alt", _drop_subsumed(tuple(seen)))


def _drop_subsumed(options: tuple[Node, ...]) -> tuple[Node, ...]:
    """`options` without those another one accepts all of: `x{0,5} rest` covers `x{0,3} rest`.

    Nullable repetitions side by side (`ws ws`, `[ ]{0,3000} [ ]{0,3000}`) otherwise leave one
    alternative per way of sharing the characters read so far between them."""
    groups: dict[tuple[Node, tuple[Node, ...]], list[Node]] = {}
    for option in options:
        head = option[1][0] if option[0] == "seq" else option
        if head[0] == "rep":
            tail = option[1][1:] if option[0] == "seq" else ()
            groups.setdefault((head[1], tail), []).append(head)
    dropped: set[Node] = set()
    for (_, tail), heads in groups.items():
        for head in heads:
            if any(other is not head and _covers(other, head) for other in heads):
                dropped.add(_seq((head, *tail)))
    if not dropped:
        return options
    return tuple(option for option in options if option not in dropped)


def _covers(wide: Node, narrow: Node) -> bool:
    """Whether the repetition `wide` accepts every string the repetition `narrow` does (same
    repeated node): its count range holds the other's."""
    if wide[2] > narrow[2]:
        return False
    return wide[3] is None or (narrow[3] is not None and narrow[3] <= wide[3])


def _rep(node: Node, low: int, high: int | None) -> Node:
    if high == 0 or node is EPS:
        return EPS
    if node is FAIL:
        return EPS if low == 0 else FAIL
    if low == high == 1:
        return node
    return ("rep", node, low, high)


def _char_matches(node: Node, code: int) -> bool:
    inside = any(low <= code <= high for low, high in node[1])
    return inside != node[2]


class _Rules:
    """A grammar's rules, simplified, with what derivatives need to know of each."""

    def __init__(self, grammar: str, root: str) -> None:
        parsed = parse_rules(grammar)
        if root not in parsed:
            raise GrammarSyntaxError(f"the grammar has no {root!r} rule")
        self.bodies = {name: self._build(body, parsed) for name, body in parsed.items()}
        self.nullable_rules = self._fixpoint(self._nullable_with)
        productive = self._fixpoint(self._productive_with)
        # A rule that derives no finite string is FAIL wherever it is used, so that a derived
        # tree is FAIL exactly when no string can follow the prefix.
        self.bodies = {name: self._prune(body, productive) for name, body in self.bodies.items()}
        self.expanding: set[str] = set()

    def _build(self, node: Node, parsed: dict[str, Node]) -> Node:
        """The parser's tree as hashable, simplified nodes."""
        kind = node[0]
        if kind == "lit":
            return _lit(node[1])
        if kind == "class":
            return node
        if kind == "ref":
            if node[1] not in parsed:
                raise GrammarSyntaxError(f"the grammar uses the undefined rule {node[1]!r}")
            return node
        if kind == "rep":
            return _rep(self._build(node[1], parsed), node[2], node[3])
        children = [self._build(child, parsed) for child in node[1]]
        return _seq(children) if kind == "seq" else _alt(children)

    def _fixpoint(self, holds: Callable[[Node, dict[str, bool]], bool]) -> dict[str, bool]:
        """Least fixpoint of a rule property, `holds(body, known)`, over recursive rules."""
        known = dict.fromkeys(self.bodies, False)
        changed = True
        while changed:
            changed = False
            for name, body in self.bodies.items():
                if not known[name] and holds(body, known):
                    known[name] = changed = True
        return known

    def _nullable_with(self, node: Node, known: dict[str, bool]) -> bool:
        kind = node[0]
        if kind in ("eps", "lit", "class", "fail"):
            return kind == "eps"
        if kind == "ref":
            return known[node[1]]
        if kind == "rep":
            return node[2] == 0 or self._nullable_with(node[1], known)
        parts = (self._nullable_with(child, known) for child in node[1])
        return all(parts) if kind == "seq" else any(parts)

    def _productive_with(self, node: Node, known: dict[str, bool]) -> bool:
        kind = node[0]
        if kind == "class":
            return node[2] or bool(node[1])  # `[^...]` is empty only if it lists everything
        if kind in ("eps", "lit", "fail"):
            return kind != "fail"
        if kind == "ref":
            return known[node[1]]
        if kind == "rep":
            return node[2] == 0 or self._productive_with(node[1], known)
        parts = (self._productive_with(child, known) for child in node[1])
        return all(parts) if kind == "seq" else any(parts)

    def _prune(self, node: Node, productive: dict[str, bool]) -> Node:
        kind = node[0]
        if kind == "ref":
            return node if productive[node[1]] else FAIL
        if kind == "class" and not self._productive_with(node, productive):
            return FAIL
        if kind == "rep":
            return _rep(self._prune(node[1], productive), node[2], node[3])
        if kind in ("seq", "alt"):
            children = [self._prune(child, productive) for child in node[1]]
            return _seq(children) if kind == "seq" else _alt(children)
        return node

    def nullable(self, node: Node) -> bool:
        """Whether `node` accepts the empty string."""
        return self._nullable_with(node, self.nullable_rules)

    def derive(self, node: Node, text: str) -> Node:
        """What `node` accepts after `text`; FAIL as soon as nothing can follow."""
        for char in text:
            node = self._derive(node, ord(char))
            if node is FAIL:
                break
        return node

    def _derive(self, node: Node, code: int) -> Node:
        kind = node[0]
        if kind == "lit":
            return _lit(node[1][1:]) if ord(node[1][0]) == code else FAIL
        if kind == "class":
            return EPS if _char_matches(node, code) else FAIL
        if kind == "ref":
            name = node[1]
            if name in self.expanding:
                raise GrammarSyntaxError(f"the rule {name!r} is left-recursive")
            self.expanding.add(name)
            try:
                return self._derive(self.bodies[name], code)
            finally:
                self.expanding.discard(name)
        if kind == "seq":
            options = []
            items = node[1]
            for index, item in enumerate(items):
                head = self._derive(item, code)
                if head is not FAIL:
                    options.append(_seq((head, *items[index + 1 :])))
                if not self.nullable(item):
                    break
            return _alt(options)
        if kind == "alt":
            return _alt(self._derive(option, code) for option in node[1])
        if kind == "rep":
            inner, low, high = node[1], node[2], node[3]
            head = self._derive(inner, code)
            rest = _rep(inner, max(low - 1, 0), None if high is None else high - 1)
            return _seq((head, rest))
        return FAIL  # EPS and FAIL take no character


class _Printer:
    """Derived trees back as GBNF that llama.cpp's parser reads."""

    def __init__(self, bodies: dict[str, Node]) -> None:
        self.bodies = bodies
        self.names: dict[str, str] = {}

    def grammar(self, root: Node) -> str:
        used = self._reachable(root)
        taken = set(self.bodies)
        for name in used:
            self.names[name] = name
        if START in used:  # the original root is still needed: it gives its name up
            number = 0
            while f"{START}-{number}" in taken:
                number += 1
            self.names[START] = f"{START}-{number}"
        lines = [f"{START} ::= {self._alternatives(root)}"]
        lines += [
            f"{self.names[name]} ::= {self._alternatives(self.bodies[name])}" for name in used
        ]
        return "\n".join(lines) + "\n"

    def _reachable(self, root: Node) -> list[str]:
        """Rule names `root` uses, directly or through other rules, in the order first met."""
        found: dict[str, None] = {}
        stack = [root]
        while stack:
            node = stack.pop()
            kind = node[0]
            if kind == "ref" and node[1] not in found:
                found[node[1]] = None
                stack.append(self.bodies[node[1]])
            elif kind == "rep":
                stack.append(node[1])
            elif kind in ("seq", "alt"):
                stack.extend(reversed(node[1]))
        return list(found)

    def _alternatives(self, node: Node) -> str:
        if node[0] == "alt":
            return " | ".join(self._sequence(option) for option in node[1])
        return self._sequence(node)

    def _sequence(self, node: Node) -> str:
        if node[0] == "seq":
            return " ".join(self._atom(item) for item in node[1])
        return self._atom(node)

    def _atom(self, node: Node) -> str:
        kind = node[0]
        if kind == "eps":
            return '""'
        if kind == "lit":
            return '"' + "".join(_literal_char(char) for char in node[1]) + '"'
        if kind == "class":
            return _char_class(node)
        if kind == "ref":
            return self.names[node[1]]
        if kind == "rep":
            inner = node[1]
            wrapped = inner[0] in ("seq", "alt", "rep") or (inner[0] == "lit" and len(inner[1]) > 1)
            body = f"({self._alternatives(inner)})" if wrapped else self._atom(inner)
            return body + _repetition(node[2], node[3])
        return f"({self._alternatives(node)})"  # a sequence or alternatives inside another


def _repetition(low: int, high: int | None) -> str:
    if high is None:
        return {0: "*", 1: "+"}.get(low, f"{{{low},}}")
    if (low, high) == (0, 1):
        return "?"
    return f"{{{low}}}" if low == high else f"{{{low},{high}}}"


_LITERAL_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CLASS_SPECIAL = set("[]\\^-")


def _code_escape(code: int) -> str:
    if code < 0x100:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"


def _literal_char(char: str) -> str:
    if char in _LITERAL_ESCAPES:
        return _LITERAL_ESCAPES[char]
    return char if _printable(char) else _code_escape(ord(char))


def _class_char(code: int) -> str:
    char = chr(code)
    if char in "\n\r\t":
        return _LITERAL_ESCAPES[char]
    return char if _printable(char) and char not in _CLASS_SPECIAL else _code_escape(code)


def _printable(char: str) -> bool:
    """Safe to write as itself: printable and not a lone surrogate (no UTF-8 for those)."""
    return char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF


def _char_class(node: Node) -> str:
    if node[1] == ((0, 0x10FFFF),) and not node[2]:
        return "."
    parts = [
        _class_char(low) if low == high else f"{_class_char(low)}-{_class_char(high)}"
        for low, high in node[1]
    ]
    return "[" + ("^" if node[2] else "") + "".join(parts) + "]"
