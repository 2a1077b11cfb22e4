"""The longest output a GBNF grammar allows, in UTF-8 bytes: an upper bound on its tokens.

Every token a sampler can pick under a grammar decodes to at least one byte, so a grammar whose
every repetition is bounded can never need more tokens than its longest string has bytes, with
any tokenizer (byte-fallback and byte-level BPE ones reach the bound). The writers ask for that
many tokens, so a story the grammar allows is never cut off by `max_tokens`.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

UNBOUNDED = None
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-"}


class GrammarSyntaxError(ValueError):
    """The grammar text is not GBNF this module can read."""


def max_bytes(grammar: str, root: str = "root") -> int | None:
    """The longest string `grammar` accepts, in UTF-8 bytes; None if it is unbounded."""
    # Schema converters write `x{0,200}` as 200 nested groups: deeper than Python's default.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        rules = parse_rules(grammar)
        if root not in rules:
            raise GrammarSyntaxError(f"the grammar has no {root!r} rule")
        return _Measure(rules).rule(root)
    except RecursionError:
        raise GrammarSyntaxError("the grammar nests too deeply to measure") from None
    finally:
        sys.setrecursionlimit(limit)


def worst_case_tokens(grammar: str) -> int | None:
    """Tokens a model may need to finish any string of `grammar`, end-of-text included."""
    longest = max_bytes(grammar)
    return None if longest is None else longest + 1


# A parsed rule body is a tree of tuples:
#   ("lit", text) | ("class", ((low, high) code point ranges, ...), negated) | ("ref", name)
#   ("seq", [nodes]) | ("alt", [nodes]) | ("rep", node, min, max or None)
# `.` (any character) is the class of every code point. gbnf_rest derives through these trees.
Node = tuple
ANY_CHAR: Node = ("class", ((0, 0x10FFFF),), False)


def parse_rules(grammar: str) -> dict[str, Node]:
    """The rules of `grammar` by name, each body a tree of `Node`s."""
    return _Parser(grammar).rules()


def utf8_width(code_point: int) -> int:
    """Bytes UTF-8 needs for `code_point` (surrogates counted as three, as surrogatepass)."""
    return 1 if code_point < 0x80 else 2 if code_point < 0x800 else 3 if code_point < 0x10000 else 4


@dataclass
class _Parser:
    text: str
    pos: int = 0

    def rules(self) -> dict[str, Node]:
        rules: dict[str, Node] = {}
        self._space(newlines=True)
        while self.pos < len(self.text):
            name = self._name()
            self._space()
            if not self.text.startswith("::=", self.pos):
                raise GrammarSyntaxError(f"expected '::=' after {name!r} at {self.pos}")
            self.pos += 3
            rules[name] = self._alternatives(top=True)
            self._space(newlines=True)
        return rules

    def _alternatives(self, top: bool = False) -> Node:
        options = [self._sequence(top)]
        while self._peek() == "|":
            self.pos += 1
            self._space(newlines=True)
            options.append(self._sequence(top))
        return options[0] if len(options) == 1 else ("alt", options)

    def _sequence(self, top: bool) -> Node:
        items: list[Node] = []
        while True:
            self._space(newlines=not top)
            if top and self._at_rule_end():
                break
            char = self._peek()
            if char in ("", "|", ")"):
                break
            items.append(self._postfix(self._atom()))
        return ("seq", items)

    def _at_rule_end(self) -> bool:
        """A newline ends a top-level rule (as in llama.cpp; only brackets span lines)."""
        return self.pos >= len(self.text) or self.text[self.pos] in "\r\n"

    def _atom(self) -> Node:
        char = self._peek()
        if char == '"':
            return ("lit", self._literal())
        if char == "[":
            return self._char_class()
        if char == ".":
            self.pos += 1
            return ANY_CHAR
        if char == "(":
            self.pos += 1
            self._space(newlines=True)
            node = self._alternatives()
            self._space(newlines=True)
            if self._peek() != ")":
                raise GrammarSyntaxError(f"expected ')' at {self.pos}")
            self.pos += 1
            return node
        return ("ref", self._name())

    def _postfix(self, node: Node) -> Node:
        char = self._peek()
        if char == "*":
            self.pos += 1
            return ("rep", node, 0, None)
        if char == "+":
            self.pos += 1
            return ("rep", node, 1, None)
        if char == "?":
            self.pos += 1
            return ("rep", node, 0, 1)
        if char == "{":
            match = re.compile(r"\{\s*(\d+)\s*(,\s*(\d*)\s*)?\}").match(self.text, self.pos)
            if match is None:
                raise GrammarSyntaxError(f"bad repetition at {self.pos}")
            self.pos = match.end()
            low = int(match.group(1))
            if match.group(2) is None:
                return ("rep", node, low, low)
            high = match.group(3)
            return ("rep", node, low, int(high) if high else None)
        return node

    def _literal(self) -> str:
        self.pos += 1
        out = []
        while True:
            char = self._take()
            if char == '"':
                return "".join(out)
            out.append(self._escape() if char == "\\" else char)

    def _char_class(self) -> Node:
        self.pos += 1
        negated = self._peek() == "^"
        if negated:
            self.pos += 1
        ranges = []
        while (char := self._take()) != "]":
            low = high = self._escape() if char == "\\" else char
            if self._peek() == "-" and self.text[self.pos + 1 : self.pos + 2] != "]":
                self.pos += 1
                high = self._take()
                high = self._escape() if high == "\\" else high
            ranges.append((ord(low), ord(high)))
        return ("class", tuple(ranges), negated)

    def _escape(self) -> str:
        char = self._take()
        if char in _ESCAPES:
            return _ESCAPES[char]
        width = {"x": 2, "u": 4, "U": 8}.get(char)
        if width is None:
            return char
        digits = self.text[self.pos : self.pos + width]
        if not re.fullmatch(f"[0-9A-Fa-f]{{{width}}}", digits) or int(digits, 16) > 0x10FFFF:
            raise GrammarSyntaxError(f"bad escape \\{char}{digits} at {self.pos}")
        self.pos += width
        return chr(int(digits, 16))

    def _name(self) -> str:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            near = self.text[self.pos : self.pos + 20]
            raise GrammarSyntaxError(f"expected a rule name at {self.pos}: {near!r}")
        self.pos = match.end()
        return match.group(0)

    def _space(self, newlines: bool = False) -> None:
        pattern = r"(?:\s|#[^\n]*)*" if newlines else r"(?:[ \t]|#[^\r\n]*)*"
        match = re.compile(pattern).match(self.text, self.pos)
        self.pos = match.end() if match else self.pos

    def _peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def _take(self) -> str:
        if self.pos >= len(self.text):
            raise GrammarSyntaxError("unexpected end of the grammar")
        self.pos += 1
        return self.text[self.pos - 1]


@dataclass
class _Measure:
    rules: dict[str, Node]
    done: dict[str, int | None] = field(default_factory=dict)
    visiting: set[str] = field(default_factory=set)

    def rule(self, name: str) -> int | None:
        if name in self.done:
            return self.done[name]
        if name in self.visiting:  # recursion: no bound we can prove
            return UNBOUNDED
        if name not in self.rules:
            raise GrammarSyntaxError(f"the grammar uses the undefined rule {name!r}")
        self.visiting.add(name)
        result = self.node(self.rules[name])
        self.visiting.discard(name)
        self.done[name] = result
        return result

    def node(self, node: Node) -> int | None:
        kind = node[0]
        if kind == "lit":
            return len(node[1].encode("utf-8", "surrogatepass"))
        if kind == "class":
            # A negated class admits every character it does not list, up to four bytes long.
            return 4 if node[2] else max((utf8_width(high) for _, high in node[1]), default=1)
        if kind == "ref":
            return self.rule(node[1])
        if kind == "rep":
            inner = self.node(node[1])
            if node[3] is None:
                return UNBOUNDED if inner else 0
            return None if inner is None else inner * node[3]
        parts = [self.node(child) for child in node[1]]
        if any(part is None for part in parts):
            return UNBOUNDED
        values = [part for part in parts if part is not None]
        if kind == "seq":
            return sum(values)
        return max(values, default=0)
