"""Fault injection: rules that make chosen Bot API calls fail, stall or lose their answer.

Owns the rule set and the decision "does this call get a fault"; the Bot API layer acts on it.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

FaultKind = Literal["flood", "server_error", "error", "slow", "drop"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)


@dataclass
class FaultRule:
    """One rule.

    Attributes:
        id: Identifier for inspection and removal.
        kind: ``flood`` (429 + retry_after), ``server_error`` (5xx), ``error`` (any error
            answer, e.g. 403 deactivated or 400 with ``migrate_to_chat_id``), ``slow`` (the
            call takes effect, the answer comes ``delay`` seconds late) or ``drop`` (the call
            takes effect, then the connection is closed without an answer).
        method: Bot API method name (case-insensitive) or ``*`` for every method.
        remaining: Calls still to hit; ``None`` when ``probability`` decides.
        probability: Chance per call, drawn from ``seed``.
    """

    id: int
    kind: FaultKind
    method: str = "*"
    remaining: int | None = 1
    probability: float | None = None
    seed: int | None = None
    retry_after: int = 5
    status: int = 500
    delay: float = 1.0
    error_code: int = 400
    description: str = "Bad Request: injected fault"
    parameters: dict[str, Any] | None = None
    fired: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, method: str) -> bool:
        """Whether the rule targets ``method``."""
        return self.method == "*" or self.method.lower() == method.lower()

    @property
    def active(self) -> bool:
        """False once a counted rule is used up."""
        return self.remaining is None or self.remaining > 0

    def to_json(self) -> dict[str, Any]:
        """The rule as a JSON-ready dict."""
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "remaining": self.remaining,
            "probability": self.probability,
            "seed": self.seed,
            "retry_after": self.retry_after,
            "status": self.status,
            "delay": self.delay,
            "error_code": self.error_code,
            "description": self.description,
            "parameters": self.parameters,
            "fired": self.fired,
            "active": self.active,
        }


class FaultInjector:
    """Holds fault rules and picks the one (if any) that hits a call."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Add a rule from a JSON spec (see ``docs/sandbox.md``).

        Raises:
            ValueError: On an unknown kind or invalid numbers.
        """
        kind = spec.get("kind")
        if kind not in FAULT_KINDS:
            msg = f"kind must be one of {list(FAULT_KINDS)}"
            raise ValueError(msg)
        probability = spec.get("probability")
        count = spec.get("count")
        if probability is not None and not 0 <= float(probability) <= 1:
            msg = "probability must be between 0 and 1"
            raise ValueError(msg)
        if count is not None and int(count) < 1:
            msg = "count must be at least 1"
            raise ValueError(msg)
        seed = spec.get("seed")
        status = int(spec.get("status", 500))
        if kind == "server_error" and not 500 <= status <= 599:
            msg = "status must be 5xx"
            raise ValueError(msg)
        rule = FaultRule(
            id=next(self._ids),
            kind=kind,
            method=str(spec.get("method") or "*"),
            remaining=None if probability is not None and count is None else int(count or 1),
            probability=None if probability is None else float(probability),
            seed=None if seed is None else int(seed),
            retry_after=int(spec.get("retry_after", 5)),
            status=status,
            delay=float(spec.get("delay", 1.0)),
            error_code=int(spec.get("error_code", 400)),
            description=str(spec.get("description", "Bad Request: injected fault")),
            parameters=spec.get("parameters"),
            rng=random.Random(seed),  # deterministic per seed, not for security
        )
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        """Remove a rule by id; False when there is none."""
        before = len(self.rules)
        self.rules = [rule for rule in self.rules if rule.id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        """Remove every rule."""
        self.rules.clear()

    def pick(self, method: str) -> FaultRule | None:
        """The rule that fires for this call of ``method``, consuming it; ``None`` otherwise."""
        for rule in self.rules:
            if not rule.active or not rule.matches(method):
                continue
            if rule.remaining is not None:
                if rule.probability is not None and rule.rng.random() >= rule.probability:
                    continue
                rule.remaining -= 1
            elif rule.probability is None or rule.rng.random() >= rule.probability:
                continue
            rule.fired += 1
            return rule
        return None
